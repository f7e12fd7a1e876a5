package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RuntimeSettingsTest {
    private static final String A = "a".repeat(40);
    private static final String B = "B".repeat(40);

    @Test
    void anEmptyConfigurationMeansGeneratedCertificateNoListeningNoTrustAndDefaultLimits() {
        RuntimeSettings s = RuntimeSettings.parse(Map.of());

        assertThat(s.ports()).isEmpty();
        assertThat(s.listenAddress()).isNull();
        assertThat(s.keystorePath()).isNull();
        assertThat(s.trusted()).isEmpty();
        assertThat(s.limits()).isEqualTo(HalibutLimits.defaults());
    }

    @Test
    void cfgFileStringsAndTypedArraysGiveTheSameSettings() {
        RuntimeSettings fromCfg = RuntimeSettings.parse(Map.of("listen.port", "8443, 0", "trusted.thumbprints",
                A + "," + B, "keystore.path", "/x/y.p12", "keystore.password", "pw"));
        RuntimeSettings typed = RuntimeSettings.parse(Map.of("listen.port", new int[] {8443, 0},
                "trusted.thumbprints", new String[] {A, B}, "keystore.path", "/x/y.p12", "keystore.password", "pw"));

        assertThat(fromCfg).isEqualTo(typed);
        assertThat(fromCfg.ports()).containsExactly(8443, 0);
        assertThat(fromCfg.trusted()).containsExactlyInAnyOrder(A.toUpperCase(), B);
        assertThat(fromCfg.keystorePath()).isEqualTo(Path.of("/x/y.p12"));
        assertThat(fromCfg.keystorePassword()).containsExactly('p', 'w');
    }

    @Test
    void limitKeysAcceptUnitsAndIsoDurations() {
        RuntimeSettings s = RuntimeSettings.parse(Map.ofEntries(
                Map.entry("connect.attempts", "3"),
                Map.entry("connect.retry.window", "PT45S"),
                Map.entry("connect.timeout", "500ms"),
                Map.entry("handshake.timeout", "5s"),
                Map.entry("heartbeat.timeout", "2s"),
                Map.entry("response.timeout", "2h"),
                Map.entry("polling.collection.timeout", "1m"),
                Map.entry("polling.keep.alive", "15s"),
                Map.entry("max.message.size", "64KiB"),
                Map.entry("pool.max.idle.per.endpoint", "0"),
                Map.entry("pool.idle.timeout", "1d"),
                Map.entry("server.idle.timeout", "20m"),
                Map.entry("max.server.connections", 50),
                Map.entry("max.streams.per.message", "16"),
                Map.entry("max.stream.length.per.message", "2TiB"),
                Map.entry("max.identification.line.length", "256"),
                Map.entry("failed.handshake.burst", "5"),
                Map.entry("failed.handshake.interval", "200ms"),
                Map.entry("heartbeat.skip.window", "0s")));

        assertThat(s.limits()).isEqualTo(new HalibutLimits(3, Duration.ofSeconds(45), Duration.ofMillis(500),
                Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofHours(2), Duration.ofMinutes(1),
                Duration.ofSeconds(15), 64 * 1024, 0, Duration.ofDays(1), Duration.ofMinutes(20), 50,
                16, 2L * 1024 * 1024 * 1024 * 1024, 256, 5, Duration.ofMillis(200), Duration.ZERO));
    }

    @Test
    void hardeningLimitKeysMapToTheirLimitsAndRejectValuesOutOfRange() {
        HalibutLimits l = RuntimeSettings.parse(Map.of("max.streams.per.message", "0",
                "max.stream.length.per.message", "0", "max.identification.line.length", "65536",
                "failed.handshake.burst", "1", "failed.handshake.interval", "PT1S")).limits();
        assertThat(l.maxStreamsPerMessage()).isZero();
        assertThat(l.maxStreamLengthPerMessage()).isZero();
        assertThat(l.maxIdentificationLineLength()).isEqualTo(65536);
        assertThat(l.failedHandshakeBurst()).isEqualTo(1);
        assertThat(l.failedHandshakeInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(RuntimeSettings.parse(Map.of("incomplete.message.budget", "256MiB")).limits()
                .incompleteMessageBudget()).isEqualTo(256L << 20);
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("incomplete.message.budget", "0")))
                .hasMessageContaining("dev.halibut.runtime").hasMessageContaining("incompleteMessageBudget");
        // Sizes above 2 GiB are fine here, unlike max.message.size.
        assertThat(RuntimeSettings.parse(Map.of("max.stream.length.per.message", "64GiB")).limits()
                .maxStreamLengthPerMessage()).isEqualTo(64L << 30);

        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("max.streams.per.message", "257")))
                .hasMessageContaining("dev.halibut.runtime").hasMessageContaining("maxStreamsPerMessage")
                .hasMessageContaining("256");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("max.identification.line.length", "63")))
                .hasMessageContaining("max.identification.line.length = '63'");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("failed.handshake.burst", "0")))
                .hasMessageContaining("failed.handshake.burst = '0'");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("failed.handshake.interval", "0ms")))
                .hasMessageContaining("failed.handshake.interval");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("max.stream.length.per.message", "99999999TiB")))
                .hasMessageContaining("max.stream.length.per.message").hasMessageContaining("too large");
    }

    @Test
    void badValuesAreRejectedNamingPidKeyAndValue() {
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("connect.timeout", "10")))
                .hasMessageContaining("dev.halibut.runtime").hasMessageContaining("connect.timeout = '10'")
                .hasMessageContaining("30s");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("listen.port", "70000")))
                .hasMessageContaining("listen.port = '70000'");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("listen.port", "http")))
                .hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("trusted.thumbprints", "abc")))
                .hasMessageContaining("trusted.thumbprints = 'abc'");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("max.message.size", "4GiB")))
                .hasMessageContaining("max.message.size");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("response.timeout", "0s")))
                .hasMessageContaining("longer than zero");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("connect.attempts", "0")))
                .hasMessageContaining("connect.attempts = '0'");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("keystore.password", "pw")))
                .hasMessageContaining("keystore.path");
    }

    @Test
    void onlyTrustChangesCanBeAppliedToARunningRuntime() {
        RuntimeSettings base = RuntimeSettings.parse(Map.of("listen.port", "1", "trusted.thumbprints", A));

        assertThat(base.sameExceptTrust(RuntimeSettings.parse(Map.of("listen.port", "1", "trusted.thumbprints", B))))
                .isTrue();
        assertThat(base.sameExceptTrust(RuntimeSettings.parse(Map.of("listen.port", "2", "trusted.thumbprints", A))))
                .isFalse();
        assertThat(base.sameExceptTrust(RuntimeSettings.parse(Map.of("listen.port", "1", "connect.timeout", "1s"))))
                .isFalse();
        assertThat(base.sameExceptTrust(RuntimeSettings.parse(Map.of("listen.port", "1", "keystore.path", "/k",
                "keystore.password", "x")))).isFalse();
    }

    @Test
    void tlsProviderIsJdkByDefaultAcceptsOpensslInAnyCaseAndRejectsOthers() {
        assertThat(RuntimeSettings.parse(Map.of()).tlsProvider()).isEqualTo("jdk");
        assertThat(RuntimeSettings.parse(Map.of("tls.provider", " OpenSSL ")).tlsProvider()).isEqualTo("openssl");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("tls.provider", "boringssl")))
                .hasMessageContaining("dev.halibut.runtime").hasMessageContaining("tls.provider = 'boringssl'")
                .hasMessageContaining("jdk or openssl");
    }

    @Test
    void changingTheTlsProviderNeedsANewRuntime() {
        RuntimeSettings jdk = RuntimeSettings.parse(Map.of("trusted.thumbprints", A));
        RuntimeSettings openssl = RuntimeSettings.parse(Map.of("trusted.thumbprints", A, "tls.provider", "openssl"));

        assertThat(jdk.sameExceptTrust(openssl)).isFalse();
        assertThat(jdk).isNotEqualTo(openssl);
    }

    @Test
    void thePasswordIsNeverInTheTextForm() {
        RuntimeSettings s = RuntimeSettings.parse(Map.of("keystore.path", "/k.p12", "keystore.password", "s3cret-pw"));

        assertThat(s.toString()).doesNotContain("s3cret-pw").contains("/k.p12");
    }

    @Test
    void aListWhereOneValueIsExpectedIsRejected() {
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("listen.address", List.of("a", "b"))))
                .hasMessageContaining("one value is expected");
        assertThat(RuntimeSettings.parse(Map.of("listen.address", Set.of("127.0.0.1"))).listenAddress())
                .isEqualTo("127.0.0.1");
    }
}
