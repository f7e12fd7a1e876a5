package dev.halibut.runtime;

import dev.halibut.Thumbprints;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
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
import java.util.Collections;
import java.util.Date;
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
 * Self-signed certificates for Halibut runtimes, and PKCS#12 files holding them. Peers pin each
 * other's certificates by thumbprint, so a self-signed EC P-256 certificate valid for 100 years is the
 * normal case: no CA, no expiry to manage.
 *
 * <p>Bouncy Castle only builds the certificate structure; key generation, signing and conversion use
 * the JDK's own providers (no {@code setProvider}), so no security provider has to be registered, which
 * in OSGi would be a global side effect of installing this bundle.
 */
public final class Certificates {

    /** The alias {@link #writePkcs12} stores the identity under. */
    private static final String ALIAS = "halibut";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /**
     * Generates a new EC P-256 key pair and a self-signed X.509 v3 certificate for it with subject and
     * issuer {@code CN=commonName}, valid from a day ago (tolerates clock skew between peers) for 100
     * years, usable for both TLS server and client authentication.
     *
     * @param commonName the certificate's common name; any characters, escaped as needed
     * @return the certificate and its private key
     * @throws IllegalStateException if the JDK cannot generate EC P-256 keys or sign with SHA256withECDSA
     */
    public static CertificateAndKey generateSelfSigned(String commonName) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair keys = generator.generateKeyPair();
            // The builder escapes commas, plus signs and the like, which string concatenation would not.
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            // Exactly 128 bits with the top bit set: positive and never shorter than intended.
            BigInteger serial = new BigInteger(128, RANDOM).setBit(127);
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365L * 100))),
                    subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            return new CertificateAndKey(certificate, keys.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("Cannot create a self-signed certificate for CN=" + commonName + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code identity} to a PKCS#12 file as a single private-key entry with alias
     * {@code "halibut"}, replacing any existing file. The file is written to a temporary file in the same
     * directory and moved into place, so readers never see a partial file; on POSIX file systems it is
     * readable and writable only by its owner ({@code rw-------}) from the moment it exists.
     *
     * @param file     the PKCS#12 file; missing parent directories are created
     * @param password protects both the file and the key
     * @param identity the certificate and key to store
     * @throws UncheckedIOException  if the file cannot be written
     * @throws IllegalStateException if the JDK cannot create a PKCS#12 key store
     */
    public static void writePkcs12(Path file, char[] password, CertificateAndKey identity) {
        Path target = file.toAbsolutePath();
        KeyStore store;
        try {
            store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, identity.privateKey(), password, new Certificate[] {identity.certificate()});
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot create a PKCS#12 key store for " + target + ": "
                    + e.getMessage(), e);
        }
        Path tmp = null;
        try {
            Path dir = target.getParent();
            Files.createDirectories(dir);
            // Created with owner-only permissions rather than restricted after writing, so the key is
            // never readable by others, not even briefly.
            tmp = Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)
                    ? Files.createTempFile(dir, ".halibut-", ".p12.tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, ".halibut-", ".p12.tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                store.store(out, password);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // Some file systems cannot rename atomically; a plain replace is the best they offer.
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the PKCS#12 file " + target + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot encode the PKCS#12 file " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // The write already failed and that failure is being thrown; a stray temp file is the
                    // lesser problem and must not replace it.
                }
            }
        }
    }

    /**
     * Generates a self-signed certificate ({@link #generateSelfSigned}), writes it to {@code file}
     * ({@link #writePkcs12}) and returns it.
     *
     * @param file       the PKCS#12 file to create or replace
     * @param commonName the certificate's common name
     * @param password   protects the file and the key
     * @return the generated certificate and key
     */
    public static CertificateAndKey generatePkcs12(Path file, String commonName, char[] password) {
        CertificateAndKey identity = generateSelfSigned(commonName);
        writePkcs12(file, password, identity);
        return identity;
    }

    /**
     * Loads the first private-key entry of a PKCS#12 file.
     *
     * @param file     the PKCS#12 file
     * @param password the file's password, also used for the key
     * @return the entry's certificate and private key
     * @throws IllegalArgumentException naming the file, if it does not exist, cannot be read, is not
     *                                  PKCS#12, the password is wrong, it holds no private-key entry, or
     *                                  that entry's certificate is not X.509
     */
    public static CertificateAndKey loadPkcs12(Path file, char[] password) {
        Path f = file.toAbsolutePath();
        byte[] bytes;
        // Read first and parse second, so "cannot read" and "not PKCS#12" are told apart.
        try {
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("The PKCS#12 file " + f + " does not exist", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the PKCS#12 file " + f + ": " + e, e);
        }
        KeyStore store;
        try {
            store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), password);
        } catch (IOException e) {
            // The JDK reports a failed integrity check (wrong password) as an IOException caused by
            // UnrecoverableKeyException; any other IOException means the bytes are not PKCS#12.
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException("Cannot open the PKCS#12 file " + f + ": wrong password", e);
            }
            throw new IllegalArgumentException("The file " + f + " is not a PKCS#12 file: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot read the PKCS#12 file " + f + ": " + e.getMessage(), e);
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                // A PKCS#12 file may also hold trusted certificates or secret keys: skip those.
                if (!store.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                    continue;
                }
                if (!(store.getCertificate(alias) instanceof X509Certificate certificate)) {
                    throw new IllegalArgumentException("The private-key entry '" + alias + "' in " + f
                            + " does not have an X.509 certificate");
                }
                return new CertificateAndKey(certificate, (PrivateKey) store.getKey(alias, password));
            }
        } catch (UnrecoverableKeyException e) {
            // The file opened but the key is protected by a different password.
            throw new IllegalArgumentException("Cannot open the private key in " + f + ": wrong password", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot read the private key in " + f + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("The PKCS#12 file " + f + " contains no private-key entry");
    }

    /**
     * The thumbprint of a certificate: SHA-1 of its DER encoding as 40 upper-case hex characters.
     *
     * @see Thumbprints#of
     */
    public static String thumbprint(X509Certificate certificate) {
        return Thumbprints.of(certificate);
    }
}
