package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Idle polling connections cost the service host no thread: its pollers wait for the listener's frames on the event
 * loops, and take a worker thread (named {@code halibut-<id>-poll-<n>}) only to connect or to serve a request. With
 * many subscriptions connected and idle, no such thread is left once the pool's idle threads have retired; every
 * subscription still serves a request afterwards, as many at once as there are connections; closing the runtime
 * ends every thread.
 */
class IdlePollersHoldNoThreadsTest {

    private static final int SUBSCRIPTIONS = 120;

    @Test
    void idlePollingConnectionsHoldNoServiceHostThreadAndStillServeAllAtOnce() throws Exception {
        HalibutLimits limits = HalibutLimits.defaults().withMaxServerConnections(SUBSCRIPTIONS + 50);
        HoldingCalculator service = new HoldingCalculator(SUBSCRIPTIONS);
        ExecutorService callers = Executors.newFixedThreadPool(SUBSCRIPTIONS);
        try (HalibutRuntime octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(limits).build();
             HalibutRuntime tentacle = HalibutRuntime.builder()
                     .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                     .service(Calculator.class, service).build()) {
            int port = octopus.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            octopus.trust(tentacle.thumbprint());
            ServiceEndPoint listener = new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), octopus.thumbprint());
            List<PollingSubscription> subs = new ArrayList<>();
            for (int i = 0; i < SUBSCRIPTIONS; i++) {
                subs.add(tentacle.poll(URI.create("poll://idle-" + i + "/"), listener));
            }
            Await.until(SUBSCRIPTIONS + " subscriptions connected", Duration.ofSeconds(120),
                    () -> subs.stream().allMatch(s -> s.connectedCount() == 1));

            // The connects ran on pool threads; with nothing to do they retire, and no poller holds one while idle.
            Await.until("no polling worker thread left while all " + SUBSCRIPTIONS + " connections are idle (left: "
                    + pollingThreads() + ")", Duration.ofSeconds(60), () -> pollingThreads().isEmpty());
            assertThat(subs).allMatch(s -> s.connectedCount() == 1);

            // Every idle connection still serves, all of them at once: each call holds its worker until all have
            // arrived, so a pool that handed out fewer threads than connections would never let them finish.
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < SUBSCRIPTIONS; i++) {
                Calculator c = octopus.createClient(Calculator.class,
                        new ServiceEndPoint(URI.create("poll://idle-" + i + "/"), tentacle.thumbprint()));
                int a = i;
                calls.add(callers.submit(() -> c.add(a, 1)));
            }
            for (int i = 0; i < SUBSCRIPTIONS; i++) {
                assertThat(calls.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(i + 1);
            }
            assertThat(service.maxConcurrent()).as("calls served at once").isEqualTo(SUBSCRIPTIONS);
        } finally {
            callers.shutdownNow();
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    /**
     * The service host's polling threads: its polling workers, {@code halibut-<id>-poll-<n>} (and the thread per
     * poller of the earlier, blocking design, {@code halibut-<id>-poll-<n>-<subscription>}); the listener side has none.
     */
    private static List<String> pollingThreads() {
        return ThreadLeaks.halibutThreads().stream().map(Thread::getName).filter(n -> n.matches("halibut-\\d+-poll-.*"))
                .sorted().toList();
    }

    /** A calculator whose add waits until {@code expected} calls are in it at once (bounded), then answers. */
    private static final class HoldingCalculator extends CalculatorService {
        private final CountDownLatch allIn;
        private final java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger max = new java.util.concurrent.atomic.AtomicInteger();

        HoldingCalculator(int expected) {
            this.allIn = new CountDownLatch(expected);
        }

        @Override
        public int add(int a, int b) {
            max.accumulateAndGet(inside.incrementAndGet(), Math::max);
            allIn.countDown();
            try {
                if (!allIn.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("not all calls arrived at once: " + allIn.getCount() + " missing");
                }
                return super.add(a, b);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } finally {
                inside.decrementAndGet();
            }
        }

        int maxConcurrent() {
            return max.get();
        }
    }
}
