package dev.halibut.runtime;

import dev.halibut.Thumbprints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Enumeration;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Self-signed certificates for Halibut runtimes, and PKCS#12 files holding them. Certificates are
 * pinned by thumbprint, so a self-signed EC P-256 certificate valid for 100 years is the normal case.
 *
 * <p>Bouncy Castle builds the certificate; signing and conversion use the JDK's own providers, so no
 * security provider has to be registered (which matters in OSGi).
 */
public final class Certificates {

    private static final String ALIAS = "halibut";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /** A new EC P-256 key pair and a self-signed certificate for it with subject {@code CN=commonName}. */
    public static CertificateAndKey generateSelfSigned(String commonName) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair keys = kpg.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    new BigInteger(128, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(365L * 100))), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            return new CertificateAndKey(certificate, keys.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("Cannot create a self-signed certificate for CN=" + commonName + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code identity} to a PKCS#12 file (one private-key entry), atomically, readable only by
     * its owner where the file system supports POSIX permissions.
     */
    public static void writePkcs12(Path file, char[] password, CertificateAndKey identity) {
        Path target = file.toAbsolutePath();
        Path tmp = null;
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, identity.privateKey(), password, new Certificate[] {identity.certificate()});
            Path dir = target.getParent();
            Files.createDirectories(dir);
            tmp = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                    ? Files.createTempFile(dir, ".halibut-", ".p12.tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, ".halibut-", ".p12.tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ks.store(out, password);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot write the PKCS#12 file " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // The write already failed and is being reported; a stray temp file is the lesser problem.
                }
            }
        }
    }

    /** Generates a self-signed certificate, writes it to {@code file}, and returns it. */
    public static CertificateAndKey generatePkcs12(Path file, String commonName, char[] password) {
        CertificateAndKey identity = generateSelfSigned(commonName);
        writePkcs12(file, password, identity);
        return identity;
    }

    /**
     * Loads the first private-key entry of a PKCS#12 file.
     *
     * @throws IllegalArgumentException the file is missing, unreadable, not PKCS#12, the password is wrong,
     *                                  or it holds no private key with an X.509 certificate
     */
    public static CertificateAndKey loadPkcs12(Path file, char[] password) {
        Path f = file.toAbsolutePath();
        KeyStore ks;
        try (InputStream in = Files.newInputStream(f)) {
            ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("The PKCS#12 file " + f + " does not exist", e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException("Cannot open the PKCS#12 file " + f + ": wrong password", e);
            }
            throw new IllegalArgumentException("Cannot read " + f + " as a PKCS#12 file (wrong password or not PKCS#12): "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot read " + f + " as a PKCS#12 file: " + e.getMessage(), e);
        }
        try {
            for (Enumeration<String> aliases = ks.aliases(); aliases.hasMoreElements(); ) {
                String alias = aliases.nextElement();
                if (!ks.isKeyEntry(alias)) {
                    continue;
                }
                Certificate cert = ks.getCertificate(alias);
                if (!(cert instanceof X509Certificate x509)) {
                    throw new IllegalArgumentException("The key entry '" + alias + "' in " + f
                            + " has no X.509 certificate");
                }
                return new CertificateAndKey(x509, (PrivateKey) ks.getKey(alias, password));
            }
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException("Cannot open the private key in " + f + ": wrong password", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot read the private key in " + f + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("The PKCS#12 file " + f + " holds no private key entry");
    }

    /** The thumbprint of a certificate (see {@link Thumbprints#of}). */
    public static String thumbprint(X509Certificate certificate) {
        return Thumbprints.of(certificate);
    }
}
