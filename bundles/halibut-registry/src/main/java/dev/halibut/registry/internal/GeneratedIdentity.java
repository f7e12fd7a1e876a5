package dev.halibut.registry.internal;

import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's own certificate when none is configured: created once in a directory (a PKCS#12 file
 * and a random password beside it, both owner-only), then loaded from there on every later start, so
 * the thumbprint peers have pinned stays the same across restarts.
 */
final class GeneratedIdentity {
    private static final Logger LOG = LoggerFactory.getLogger(GeneratedIdentity.class);

    private GeneratedIdentity() {
    }

    static CertificateAndKey loadOrCreate(Path directory) {
        Path keystore = directory.resolve(HalibutConfig.GENERATED_KEYSTORE_FILE);
        Path passwordFile = HalibutConfig.passwordFile(keystore);
        boolean haveKeystore = Files.exists(keystore);
        boolean havePassword = Files.exists(passwordFile);
        if (haveKeystore && !havePassword) {
            throw new IllegalStateException("The generated key store " + keystore + " exists but its password file "
                    + passwordFile + " does not; restore the password file, or delete " + keystore
                    + " to generate a new certificate (peers that trust the old thumbprint must then be updated)");
        }
        if (haveKeystore) {
            return Certificates.loadPkcs12(keystore, readPassword(passwordFile));
        }
        // A password file without a key store means an earlier start stopped between the two writes.
        char[] password = havePassword ? readPassword(passwordFile) : writeNewPassword(passwordFile);
        CertificateAndKey identity = Certificates.generatePkcs12(keystore, commonName(), password);
        LOG.info("Generated a self-signed certificate for this Halibut runtime in {} (thumbprint {})", keystore,
                Certificates.thumbprint(identity.certificate()));
        return identity;
    }

    private static String commonName() {
        try {
            return "halibut@" + InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "halibut";
        }
    }

    static char[] readPassword(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the generated key store password " + file + ": " + e, e);
        }
    }

    private static char[] writeNewPassword(Path file) {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path tmp = null;
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            // Owner-only from creation, so the password is never readable by others.
            tmp = Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)
                    ? Files.createTempFile(dir, ".halibut-", ".password.tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, ".halibut-", ".password.tmp");
            Files.writeString(tmp, password + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
            tmp = null;
            return password.toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the generated key store password " + file + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // The write failed and that is what is thrown; a stray temp file matters less.
                }
            }
        }
    }
}
