package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A thousand subscriptions held open on one listener: every one is served, and while they are idle no
 * listener thread is busy (they wait on their subscription's queue without a thread; none spins).
 */
class ManySubscribersTest {

    private static final int SUBSCRIBERS = 1000;

    @Test
    void thousandIdleSubscribersAreHeldAndServed() throws Exception {
        HalibutLimits limits = HalibutLimits.defaults().withMaxServerConnections(SUBSCRIBERS + 100);
        try (PollingFixture peers = new PollingFixture(limits, b -> b.service(Calculator.class, new CalculatorService()))) {
            HalibutRuntime octopus = peers.octopus;
            HalibutRuntime tentacle = peers.tentacle;
            peers.connectedSubscriptions("agent", SUBSCRIBERS, peers.https());
            Await.until("every listener-side subscriber thread waiting for work", Duration.ofSeconds(30),
                    () -> busyListenerThreads().isEmpty());

            for (int i : new int[] {0, SUBSCRIBERS / 2, SUBSCRIBERS - 1}) {
                Calculator calc = octopus.createClient(Calculator.class,
                        new ServiceEndPoint(URI.create("poll://agent-" + i + "/"), tentacle.thumbprint()));
                assertThat(calc.add(i, 1)).isEqualTo(i + 1);
            }
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    /** Listener worker threads that are runnable, i.e. doing work rather than waiting for it. */
    private static List<String> busyListenerThreads() {
        List<String> busy = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (t.getName().startsWith("halibut-listener-") && t.getName().contains("-worker-")
                    && t.getState() == Thread.State.RUNNABLE) {
                busy.add(t.getName());
            }
        }
        return busy;
    }
}
