package dev.halibut.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The {@code with...} methods: each changes its own setting only, and the same checks apply as to new settings. */
class RedisQueueSettingsTest {

    private static final RedisQueueSettings D = RedisQueueSettings.defaults();

    @Test
    void eachWitherChangesOnlyItsOwnSetting() {
        RedisTlsSettings tls = RedisTlsSettings.trusting(Path.of("ca.pem"));
        assertThat(D.withPassword("pw")).isEqualTo(new RedisQueueSettings("pw", D.commandTimeout(), D.heartbeatInterval(),
                D.nodeTimeout(), D.maxStreamBytes(), D.streamChunkSize(), D.streamExpiry(), D.maxConnections(), D.keyPrefix(), D.tls()));
        assertThat(D.withCommandTimeout(Duration.ofSeconds(7)).commandTimeout()).isEqualTo(Duration.ofSeconds(7));
        RedisQueueSettings beat = D.withHeartbeat(Duration.ofMillis(200), Duration.ofSeconds(3));
        assertThat(beat.heartbeatInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(beat.nodeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(D.withMaxStreamBytes(1000).maxStreamBytes()).isEqualTo(1000);
        assertThat(D.withStreamChunkSize(4096).streamChunkSize()).isEqualTo(4096);
        assertThat(D.withStreamExpiry(Duration.ofMinutes(1)).streamExpiry()).isEqualTo(Duration.ofMinutes(1));
        assertThat(D.withMaxConnections(16).maxConnections()).isEqualTo(16);
        assertThat(D.withKeyPrefix("x:").keyPrefix()).isEqualTo("x:");
        assertThat(D.withTls(tls).tls()).isEqualTo(tls);
        RedisQueueSettings all = D.withPassword("pw").withCommandTimeout(Duration.ofSeconds(7)).withMaxConnections(16)
                .withKeyPrefix("x:");
        assertThat(all).isEqualTo(new RedisQueueSettings("pw", Duration.ofSeconds(7), D.heartbeatInterval(), D.nodeTimeout(),
                D.maxStreamBytes(), D.streamChunkSize(), D.streamExpiry(), 16, "x:", D.tls()));
    }

    @Test
    void witherResultsAreCheckedLikeNewSettings() {
        assertThatThrownBy(() -> D.withHeartbeat(Duration.ofSeconds(2), Duration.ofSeconds(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nodeTimeout");
        assertThatThrownBy(() -> D.withMaxConnections(3)).hasMessageContaining("maxConnections must be at least 4");
        assertThatThrownBy(() -> D.withStreamChunkSize(10)).hasMessageContaining("streamChunkSize");
        assertThatThrownBy(() -> D.withCommandTimeout(Duration.ZERO)).hasMessageContaining("commandTimeout");
    }
}
