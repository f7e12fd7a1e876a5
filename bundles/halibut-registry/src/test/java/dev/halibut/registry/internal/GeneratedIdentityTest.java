package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.runtime.CertificateAndKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratedIdentityTest {
    @TempDir
    Path dir;

    @Test
    void theFirstStartCreatesOwnerOnlyFilesAndLaterStartsLoadTheSameCertificate() throws Exception {
        CertificateAndKey first = GeneratedIdentity.loadOrCreate(dir.resolve("halibut"));
        CertificateAndKey second = GeneratedIdentity.loadOrCreate(dir.resolve("halibut"));

        assertThat(second.certificate()).isEqualTo(first.certificate());
        for (String f : new String[] {"halibut.p12", "halibut.p12.password"}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("halibut").resolve(f))))
                    .isEqualTo("rw-------");
        }
        try (var files = Files.list(dir.resolve("halibut"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("halibut.p12",
                    "halibut.p12.password");
        }
    }

    @Test
    void aKeyStoreWithoutItsPasswordFileIsAnErrorThatSaysHowToRecover() {
        GeneratedIdentity.loadOrCreate(dir);
        dir.resolve("halibut.p12.password").toFile().delete();

        assertThatThrownBy(() -> GeneratedIdentity.loadOrCreate(dir)).hasMessageContaining("restore the password file")
                .hasMessageContaining("delete");
    }
}
