package dev.halibut.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.Thumbprints;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a runtime gets its identity (certificate generation and files: CertificatesTest). */
class RuntimeIdentityTest {

    private static final char[] PW = "secret".toCharArray();

    @TempDir
    Path dir;

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
