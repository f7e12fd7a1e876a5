package dev.halibut.runtime;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/** A certificate and its private key: a runtime's identity. */
public record CertificateAndKey(X509Certificate certificate, PrivateKey privateKey) {
    public CertificateAndKey {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
    }
}
