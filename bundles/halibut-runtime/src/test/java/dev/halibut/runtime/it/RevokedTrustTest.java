package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listener that stops trusting a caller while the caller holds a pooled connection to it refuses the
 * caller's next call without running it, and the caller is told so: "did not run" or "rejected our
 * certificate", never "may have run" (protocol.md, section 5, "Listening mode").
 */
class RevokedTrustTest {

    private final CalculatorService service = new CalculatorService();
    private HalibutRuntime octopus;
    private HalibutRuntime tentacle;

    private Calculator connect(HalibutLimits callerLimits) {
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(callerLimits).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, service).trust(octopus.thumbprint()).build();
        int port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return octopus.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (octopus != null) {
            octopus.close();
        }
        if (tentacle != null) {
            tentacle.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    @Test
    void aRequestSentStraightOnAPooledConnectionIsReportedNotRunOnceTheListenerStopsTrustingTheCaller() {
        // The default skip window (1 s): the second call goes out on the pooled connection without NEXT first.
        Calculator calc = connect(HalibutLimits.defaults().withHeartbeatSkipWindow(Duration.ofMinutes(1)));
        assertThat(calc.add(1, 2)).isEqualTo(3);
        tentacle.removeTrust(octopus.thumbprint());

        assertThatThrownBy(() -> calc.add(3, 4))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Calculator.add")
                .hasMessageContaining("refused the request without running it")
                .hasMessageContaining("did not run")
                .hasMessageNotContaining("may have run");
        assertThat(service.invocations).hasValue(1);
    }

    @Test
    void aPooledConnectionCheckedWithNextIsRefusedAndTheNewConnectionIsRefused() {
        // Skip window zero: NEXT / PROCEED before every reuse. The listener answers END, the caller opens a new
        // connection, which is refused (in the TLS handshake, or at identification when the TLS session is
        // resumed): a connect failure, and nothing of the request was ever sent.
        Calculator calc = connect(HalibutLimits.defaults().withHeartbeatSkipWindow(Duration.ZERO));
        assertThat(calc.add(1, 2)).isEqualTo(3);
        tentacle.removeTrust(octopus.thumbprint());

        assertThatThrownBy(() -> calc.add(3, 4))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("trust our thumbprint")
                .hasMessageNotContaining("may have run");
        assertThat(service.invocations).hasValue(1);
    }

    @Test
    void trustGivenBackServesTheCallerAgain() {
        Calculator calc = connect(HalibutLimits.defaults());
        assertThat(calc.add(1, 2)).isEqualTo(3);
        tentacle.removeTrust(octopus.thumbprint());
        assertThatThrownBy(() -> calc.add(3, 4)).isInstanceOf(HalibutClientException.class)
                .hasMessageNotContaining("may have run");
        tentacle.trust(octopus.thumbprint());
        assertThat(calc.add(5, 6)).isEqualTo(11);
        assertThat(service.invocations).hasValue(2);
    }
}
