package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.runtime.HalibutObserver.CallEvent;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.runtime.Certificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The numbers behind the MBeans, and the key store password found beside the key store. */
class RuntimeMetricsTest {

    @TempDir
    Path dir;

    private static CallEvent call(long millis, Outcome outcome) {
        return new CallEvent(Instant.now(), "https://h:1/", "AB", "Calculator", "add", Duration.ofMillis(millis), outcome,
                outcome == Outcome.OK ? null : "failed");
    }

    @Test
    void callsAreCountedByOutcomeAndLatency() {
        RuntimeMetrics metrics = new RuntimeMetrics();
        metrics.callCompleted(call(0, Outcome.OK));
        metrics.callCompleted(call(5, Outcome.OK));
        metrics.callCompleted(call(50, Outcome.NOT_COLLECTED));
        metrics.callCompleted(call(20_000, Outcome.NOT_COLLECTED));
        metrics.callCompleted(call(1000, Outcome.INVOCATION_ERROR));
        metrics.requestServed(call(3, Outcome.OK));

        RuntimeMetrics.Calls out = metrics.outgoing;
        assertThat(out.getCalls()).isEqualTo(5);
        assertThat(out.getFailures()).isEqualTo(3);
        assertThat(out.getFailuresByKind()).containsExactly(Map.entry("INVOCATION_ERROR", 1L), Map.entry("NOT_COLLECTED", 2L));
        assertThat(out.getLatencyMaxMillis()).isEqualTo(20_000);
        assertThat(out.getLatencyMeanMillis()).isEqualTo((0 + 5 + 50 + 20_000 + 1000) / 5.0);
        assertThat(out.getLatencyHistogram()).containsExactly(Map.entry("<=1ms", 1L), Map.entry("<=10ms", 1L),
                Map.entry("<=100ms", 1L), Map.entry("<=1s", 1L), Map.entry("<=10s", 0L), Map.entry(">10s", 1L));
        assertThat(metrics.incoming.getCalls()).isEqualTo(1);
        assertThat(metrics.incoming.getFailuresByKind()).isEmpty();
    }

    @Test
    void withoutAConfiguredPasswordThePasswordFileBesideTheKeyStoreIsUsed() throws Exception {
        Path keystore = dir.resolve("rotated.p12");
        Certificates.generatePkcs12(keystore, "rotated", "s3cret".toCharArray());
        Files.writeString(dir.resolve("rotated.p12.password"), "s3cret\n", StandardCharsets.UTF_8);

        RuntimeSettings fileOnly = RuntimeSettings.parse(Map.of("keystore.path", keystore.toString()));
        assertThat(RuntimeComponent.keystorePassword(fileOnly)).containsExactly("s3cret".toCharArray());
        RuntimeSettings configured = RuntimeSettings.parse(Map.of("keystore.path", keystore.toString(),
                "keystore.password", "other"));
        assertThat(RuntimeComponent.keystorePassword(configured)).containsExactly("other".toCharArray());
        RuntimeSettings neither = RuntimeSettings.parse(Map.of("keystore.path", dir.resolve("none.p12").toString()));
        assertThat(RuntimeComponent.keystorePassword(neither)).isEmpty();
    }
}
