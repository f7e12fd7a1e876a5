package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.transport.Connection;
import dev.halibut.transport.EventLoops;
import dev.halibut.transport.TlsConnector;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.transport.TlsListener;
import dev.halibut.wire.Identification;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Idle connections cost a listener no thread: neither polling subscribers waiting for work nor callers'
 * connections waiting for their next request. The listener's threads are counted after one call in each mode, then
 * with many idle connections of each kind: no worker more, and in all no more than the event loops (a fixed
 * number) and those workers, nothing per connection.
 */
class IdleConnectionsHoldNoThreadsTest {

    private static final int IDLE = 200;

    @Test
    void idleSubscribersAndIdleCallerConnectionsAddNoListenerThreads() throws Exception {
        HalibutLimits limits = HalibutLimits.defaults().withMaxServerConnections(2 * IDLE + 50);
        try (PollingFixture peers = new PollingFixture(limits, b -> b.service(Calculator.class, new CalculatorService()))) {
            HalibutRuntime octopus = peers.octopus;
            HalibutRuntime tentacle = peers.tentacle;
            ServiceEndPoint listener = peers.https();
            // One call in each mode first, so that whatever a first connection starts (event loops) is there.
            PollingSubscription first = tentacle.poll(URI.create("poll://warm-up/"), listener);
            Await.until("the warm-up subscriber", Duration.ofSeconds(30), () -> first.connectedCount() == 1);
            assertThat(octopus.createClient(Calculator.class,
                    new ServiceEndPoint(URI.create("poll://warm-up/"), tentacle.thumbprint())).add(1, 2)).isEqualTo(3);
            List<String> before = listenerThreads();

            peers.connectedSubscriptions("idle", IDLE, listener);
            List<Connection> callers = new ArrayList<>();
            try (EventLoops loops = new EventLoops("idle-test-io");
                 TlsConnector connector = new TlsConnector(new TlsContextFactory(TestIdentities.TENTACLE.certificate(),
                         TestIdentities.TENTACLE.privateKey()), new TlsConnector.Listener() {
                 }, TlsListener.budgetOf(limits), loops)) {
                for (int i = 0; i < IDLE; i++) {
                    callers.add(connector.connect(listener, Identification.client(), limits));
                }
                List<String> after = listenerThreads();
                assertThat(workers(after)).as("listener worker threads with %d idle subscribers and %d idle caller"
                        + " connections (before them: %s)", IDLE, IDLE, workers(before)).hasSizeLessThanOrEqualTo(workers(before).size());
                assertThat(after).as("listener-side threads in all: the event loops of both runtimes (a fixed number)"
                        + " and the workers of the warm-up call").hasSizeLessThanOrEqualTo(
                        2 * EventLoops.DEFAULT_THREADS + workers(before).size());

                // And the idle connections still work: one caller connection proves alive, one subscriber is called.
                assertThat(callers.get(IDLE / 2).checkAlive(Duration.ofSeconds(10))).isTrue();
                assertThat(octopus.createClient(Calculator.class, new ServiceEndPoint(
                        URI.create("poll://idle-" + (IDLE - 1) + "/"), tentacle.thumbprint())).add(2, 3)).isEqualTo(5);
                callers.forEach(Connection::closeGracefully);
            }
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    /**
     * The threads a connection could hold on the listening side: the runtimes' event loops
     * ({@code halibut-<id>-io-...}; the service host's too, a fixed number as well) and the listener's workers
     * ({@code halibut-listener-...-worker-...}, which serve a frame that arrived and then go back to their pool).
     * The service host's poller threads (one per polling connection, by design) are not counted.
     */
    private static List<String> listenerThreads() {
        return ThreadLeaks.halibutThreads().stream().map(Thread::getName)
                .filter(n -> n.contains("-io-") || (n.startsWith("halibut-listener-") && n.contains("-worker-")))
                .sorted().toList();
    }

    private static List<String> workers(List<String> threads) {
        return threads.stream().filter(n -> n.contains("-worker-")).toList();
    }
}
