package dev.halibut.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.Thumbprints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateFilesTest {

    private static final char[] PW = "secret".toCharArray();

    @TempDir
    Path dir;

    @Test
    void generatedCertificateRoundTripsThroughPkcs12() throws Exception {
        Path file = dir.resolve("id.p12");
        CertificateAndKey made = Certificates.generatePkcs12(file, "tentacle-01", PW);
        CertificateAndKey loaded = Certificates.loadPkcs12(file, PW);
        assertThat(loaded.certificate()).isEqualTo(made.certificate());
        assertThat(loaded.privateKey().getEncoded()).isEqualTo(made.privateKey().getEncoded());
        String expected = HexFormat.of().withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-1").digest(made.certificate().getEncoded()));
        assertThat(Certificates.thumbprint(loaded.certificate())).isEqualTo(expected).hasSize(40);
        assertThat(Thumbprints.of(made.certificate())).isEqualTo(expected);
    }

    @Test
    void certificateIsSelfSignedWithTheCommonNameAndLongValidity() throws Exception {
        CertificateAndKey id = Certificates.generateSelfSigned("octopus");
        id.certificate().verify(id.certificate().getPublicKey());
        id.certificate().checkValidity();
        assertThat(id.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=octopus");
        assertThat(id.certificate().getNotAfter().toInstant())
                .isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(365 * 50)));
        assertThat(id.certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void eachCertificateHasItsOwnThumbprint() {
        assertThat(Thumbprints.of(Certificates.generateSelfSigned("a").certificate()))
                .isNotEqualTo(Thumbprints.of(Certificates.generateSelfSigned("a").certificate()));
    }

    @Test
    void fileIsOwnerOnlyAndNoTempFilesRemain() throws Exception {
        Path file = dir.resolve("id.p12");
        Certificates.generatePkcs12(file, "x", PW);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
    }

    @Test
    void wrongPasswordMissingFileAndGarbageGiveClearErrors() throws Exception {
        Path file = dir.resolve("id.p12");
        Certificates.generatePkcs12(file, "x", PW);
        assertThatThrownBy(() -> Certificates.loadPkcs12(file, "nope".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("password").hasMessageContaining("id.p12");
        assertThatThrownBy(() -> Certificates.loadPkcs12(dir.resolve("missing.p12"), PW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        byte[] junk = new byte[512];
        new Random(3).nextBytes(junk);
        Path garbage = Files.write(dir.resolve("junk.p12"), junk);
        assertThatThrownBy(() -> Certificates.loadPkcs12(garbage, PW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("junk.p12");
    }

    @Test
    void builderWithoutCertificateExplainsWhatToDo() {
        assertThatThrownBy(() -> HalibutRuntime.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("certificate").hasMessageContaining("Certificates.generatePkcs12");
    }

    @Test
    void runtimeLoadsItsIdentityFromPkcs12() {
        Path file = dir.resolve("rt.p12");
        CertificateAndKey id = Certificates.generatePkcs12(file, "rt", PW);
        try (HalibutRuntime rt = HalibutRuntime.builder().certificate(file, PW).build()) {
            assertThat(rt.thumbprint()).isEqualTo(Thumbprints.of(id.certificate()));
            assertThat(rt.certificate()).isEqualTo(id.certificate());
        }
    }
}
