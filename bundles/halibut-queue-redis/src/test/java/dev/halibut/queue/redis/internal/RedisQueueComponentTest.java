package dev.halibut.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration is checked when it is applied, TLS files included, so a bad one keeps the component off. */
class RedisQueueComponentTest {

    @TempDir
    Path temp;

    @Test
    void aTlsTrustFileThatCannotBeReadKeepsTheComponentOffNamingTheFile() throws Exception {
        Path missing = temp.resolve("missing-ca.pem");
        assertThatThrownBy(() -> new RedisQueueComponent().activate(Map.of("uri", "rediss://127.0.0.1:6380",
                "tls.trust", missing.toString())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());

        Path notPem = Files.writeString(temp.resolve("not-a-store.p12"), "neither PEM nor PKCS#12");
        assertThatThrownBy(() -> new RedisQueueComponent().activate(Map.of("uri", "rediss://127.0.0.1:6380",
                "tls.trust", notPem.toString(), "tls.trust.password", "pw")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(notPem.toString())
                .hasMessageContaining("PKCS#12 or JKS");
    }
}
