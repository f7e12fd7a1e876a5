package dev.halibut.runtime.it;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;

/** Certificates for test runtimes, generated once per JVM (key generation is the slow part). */
public final class TestIdentities {
    public static final CertificateAndKey OCTOPUS = Certificates.generateSelfSigned("octopus");
    public static final CertificateAndKey TENTACLE = Certificates.generateSelfSigned("tentacle");
    public static final CertificateAndKey STRANGER = Certificates.generateSelfSigned("stranger");

    private TestIdentities() {
    }
}
