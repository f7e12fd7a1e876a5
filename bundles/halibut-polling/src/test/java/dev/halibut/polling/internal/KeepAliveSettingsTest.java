package dev.halibut.polling.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutLimits;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How a subscriber learns the listener's keep-alive settings (docs/protocol.md, sections 2 and 5). */
class KeepAliveSettingsTest {

    private static final HalibutLimits OWN = HalibutLimits.defaults().withPollingKeepAlive(Duration.ofSeconds(30))
            .withHeartbeatTimeout(Duration.ofSeconds(10));

    @Test
    void aListenerAnnouncesItsOwnSettingsAndASubscriberReadsThem() throws ProtocolException {
        HalibutLimits listener = HalibutLimits.defaults().withPollingKeepAlive(Duration.ofSeconds(5))
                .withHeartbeatTimeout(Duration.ofMillis(1500));
        Identification answer = KeepAliveSettings.of(listener).addTo(Identification.server());
        KeepAliveSettings read = KeepAliveSettings.announcedIn(answer, OWN);
        assertThat(read).isEqualTo(new KeepAliveSettings(Duration.ofSeconds(5), Duration.ofMillis(1500)));
        assertThat(read.silenceLimit()).isEqualTo(Duration.ofMillis(6500).plus(KeepAliveSettings.MARGIN));
    }

    @Test
    void aListenerThatAnnouncesNothingIsTakenToUseTheSubscribersOwnSettings() throws ProtocolException {
        assertThat(KeepAliveSettings.announcedIn(Identification.server(), OWN))
                .isEqualTo(new KeepAliveSettings(Duration.ofSeconds(30), Duration.ofSeconds(10)));
        assertThat(KeepAliveSettings.announcedIn(Identification.server().withHeader("Keep-Alive-Ms", "1000"), OWN))
                .isEqualTo(new KeepAliveSettings(Duration.ofSeconds(1), Duration.ofSeconds(10)));
    }

    @Test
    void aValueThatIsNotAWholeNumberOfMillisecondsFromOneToADayIsAProtocolError() {
        for (String bad : new String[] {"", "0", "-5", "+5", "1.5", "30s", "86400001", "9999999999"}) {
            Identification answer = Identification.server().withHeader("Heartbeat-Timeout-Ms", bad);
            assertThatThrownBy(() -> KeepAliveSettings.announcedIn(answer, OWN)).as(bad)
                    .isInstanceOf(ProtocolException.class).hasMessageContaining("Heartbeat-Timeout-Ms");
        }
    }
}
