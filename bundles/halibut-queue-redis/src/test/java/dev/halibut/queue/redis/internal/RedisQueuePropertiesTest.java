package dev.halibut.queue.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.queue.redis.RedisQueueSettings;
import dev.halibut.queue.redis.RedisTlsSettings;
import java.nio.file.Path;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisQueuePropertiesTest {

    @Test
    void onlyTheUriIsRequiredAndTheRestDefaults() {
        RedisQueueProperties p = RedisQueueProperties.parse(Map.of("uri", "redis://redis.internal:6379"));
        assertThat(p.uri()).isEqualTo(URI.create("redis://redis.internal:6379"));
        assertThat(p.settings()).isEqualTo(RedisQueueSettings.defaults());
    }

    @Test
    void everyKeyIsRead() {
        RedisQueueProperties p = RedisQueueProperties.parse(Map.of("uri", "rediss://h:6380/2", "password", "secret",
                "command.timeout", "2s", "heartbeat.interval", "500ms", "node.timeout", "3s", "max.stream.bytes", "64MiB",
                "stream.chunk.size", "32KiB", "stream.expiry", "1h", "max.connections", "32", "key.prefix", "prod:"));
        RedisQueueSettings s = p.settings();
        assertThat(s.password()).isEqualTo("secret");
        assertThat(s.commandTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.nodeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.maxStreamBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(s.streamChunkSize()).isEqualTo(32 * 1024);
        assertThat(s.streamExpiry()).isEqualTo(Duration.ofHours(1));
        assertThat(s.maxConnections()).isEqualTo(32);
        assertThat(s.keyPrefix()).isEqualTo("prod:");
        assertThat(s.toString()).doesNotContain("secret");
    }

    @Test
    void errorsNameTheKeyAndTheValue() {
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of())).hasMessageContaining("uri is missing");
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of("uri", "redis://h", "node.timeout", "soon")))
                .hasMessageContaining("node.timeout").hasMessageContaining("soon");
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of("uri", "redis://h", "heartbeat.interval", "4s")))
                .hasMessageContaining("nodeTimeout").hasMessageContaining("heartbeatInterval");
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of("uri", "redis://h", "max.stream.bytes", "lots")))
                .hasMessageContaining("max.stream.bytes");
    }

    @Test
    void aUriThatIsNotRedisIsRefusedWithoutShowingItsPassword() {
        assertThatThrownBy(() -> new RedisStore(URI.create("http://:pw@h:1"), RedisQueueSettings.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis://")
                .hasMessageNotContaining("pw");
    }

    @Test
    void theTlsKeysNameTheTrustAndTheClientCertificate() {
        RedisQueueProperties p = RedisQueueProperties.parse(Map.of("uri", "rediss://h:6380",
                "tls.trust", "/etc/halibut/redis-ca.p12", "tls.trust.password", "trust-secret",
                "tls.client.keystore", "/etc/halibut/redis-client.p12", "tls.client.keystore.password", "key-secret"));
        RedisTlsSettings tls = p.settings().tls();
        assertThat(tls.trustFile()).isEqualTo(Path.of("/etc/halibut/redis-ca.p12"));
        assertThat(tls.trustPassword()).isEqualTo("trust-secret");
        assertThat(tls.clientKeyStore()).isEqualTo(Path.of("/etc/halibut/redis-client.p12"));
        assertThat(tls.clientKeyStorePassword()).isEqualTo("key-secret");
        assertThat(p.settings().toString()).doesNotContain("trust-secret").doesNotContain("key-secret");

        assertThat(RedisQueueProperties.parse(Map.of("uri", "rediss://h", "tls.trust", " ")).settings().tls())
                .isEqualTo(RedisTlsSettings.jvmDefaults());
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of("uri", "rediss://h", "tls.trust.password", "x")))
                .hasMessageContaining("tls.trust.password").hasMessageContaining("tls.trust ");
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of("uri", "rediss://h", "tls.client.keystore.password", "x")))
                .hasMessageContaining("tls.client.keystore");
        assertThatThrownBy(() -> RedisQueueProperties.parse(Map.of("uri", "redis://h", "tls.trust", "/etc/ca.pem")))
                .hasMessageContaining("tls.trust").hasMessageContaining("rediss://");
    }
}
