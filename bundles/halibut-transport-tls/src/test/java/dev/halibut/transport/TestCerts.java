package dev.halibut.transport;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed EC certificates for transport tests (the runtime's Certificates lives a layer above). */
final class TestCerts {
    private TestCerts() {
    }

    static TlsListenerTest.TestCert create(String cn) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = kpg.generateKeyPair();
            X500Name name = new X500Name("CN=" + cn);
            Instant now = Instant.now();
            var holder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), name, keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            return new TlsListenerTest.TestCert(new JcaX509CertificateConverter().getCertificate(holder), keys);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
