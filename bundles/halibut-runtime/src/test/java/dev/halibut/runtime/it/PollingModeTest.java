package dev.halibut.runtime.it;

import static dev.halibut.runtime.it.PollingFixture.shortCollection;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceInvocationException;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Polling mode: the service host (tentacle) dials out to the caller's listener (octopus) and collects work. */
class PollingModeTest {

    private static final URI SUBSCRIPTION = URI.create("poll://subscription123/");

    /** Counts invocations per argument, to prove each request runs exactly once. */
    static final class CountingCalculator extends CalculatorService {
        final Map<Integer, AtomicInteger> perValue = new ConcurrentHashMap<>();

        @Override
        public int add(int a, int b) {
            perValue.computeIfAbsent(a, k -> new AtomicInteger()).incrementAndGet();
            return super.add(a, b);
        }
    }

    private final CountingCalculator service = new CountingCalculator();
    @RegisterExtension
    final PollingFixture fixture = new PollingFixture(b -> b.service(Calculator.class, service));
    private final HalibutRuntime octopus = fixture.octopus;
    private final HalibutRuntime tentacle = fixture.tentacle;

    private ServiceEndPoint polling(URI subscription) {
        return fixture.polling(subscription);
    }

    private ServiceEndPoint listener() {
        return fixture.https();
    }

    @Test
    void pollingCalculator() {
        tentacle.poll(SUBSCRIPTION, listener());
        Calculator calc = octopus.createClient(Calculator.class, polling(SUBSCRIPTION));
        assertThat(calc.add(1, 2)).isEqualTo(3);
        assertThat(calc.summarize(List.of(3, 1, 2))).isEqualTo(new Calculator.Summary(3, 6, List.of(1, 2, 3)));
        assertThatThrownBy(() -> calc.fail("boom")).isInstanceOfSatisfying(ServiceInvocationException.class,
                e -> assertThat(e.getRemoteMessage()).isEqualTo("boom"));
    }

    @Test
    void twoHundredConcurrentCallsThroughFourConnectionsEachRunOnce() throws Exception {
        PollingSubscription sub = tentacle.poll(SUBSCRIPTION, listener(), 4);
        Await.until("4 poller connections", Duration.ofSeconds(30), () -> sub.connectedCount() == 4);
        Calculator calc = octopus.createClient(Calculator.class, polling(SUBSCRIPTION));
        ExecutorService callers = Executors.newFixedThreadPool(200);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                results.add(callers.submit(() -> calc.add(n, 1000)));
            }
            for (int i = 0; i < 200; i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(i + 1000);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(service.perValue).hasSize(200);
        assertThat(service.perValue.values()).allSatisfy(c -> assertThat(c).hasValue(1));
    }

    @Test
    void pollerReconnectsAfterTheListenerRestarts() {
        fixture.assertPollerReconnectsAfterTheListenerRestarts(listener(), SUBSCRIPTION);
    }

    @Test
    void pollerStartedBeforeTheListenerExists() throws Exception {
        int later;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            later = s.getLocalPort();
        }
        tentacle.poll(SUBSCRIPTION, new ServiceEndPoint(URI.create("https://localhost:" + later + "/"), octopus.thumbprint()));
        HalibutRuntime lateListener = fixture.listener(HalibutLimits.defaults());
        lateListener.trust(tentacle.thumbprint());
        lateListener.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), later));
        Calculator calc = lateListener.createClient(Calculator.class, polling(SUBSCRIPTION));
        assertThat(calc.add(20, 22)).isEqualTo(42);
    }

    @Test
    void requestNotCollectedInTimeFailsAndNeverRunsLater() {
        URI lonely = URI.create("poll://lonely/");
        Calculator calc = octopus.createClient(Calculator.class, shortCollection(polling(lonely), Duration.ofMillis(300)));
        assertThatThrownBy(() -> calc.add(7, 7)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("not collected").hasMessageContaining("will never run")
                .hasMessageContaining("Calculator.add");

        PollingSubscription sub = tentacle.poll(lonely, listener());
        Await.until("the poller to connect", Duration.ofSeconds(30), () -> sub.connectedCount() == 1);
        // A later request is served; the expired one before it in the queue never is.
        assertThat(octopus.createClient(Calculator.class, polling(lonely)).add(8, 8)).isEqualTo(16);
        assertThat(service.perValue).containsOnlyKeys(8);
    }

    @Test
    void cancelledQueuedRequestNeverRuns() throws Exception {
        URI later = URI.create("poll://later/");
        Calculator calc = octopus.createClient(Calculator.class, polling(later));
        CompletableFuture<Integer> pending = calc.addAsync(5, 5);
        assertThat(pending.cancel(true)).isTrue();

        PollingSubscription sub = tentacle.poll(later, listener());
        Await.until("the poller to connect", Duration.ofSeconds(30), () -> sub.connectedCount() == 1);
        assertThat(calc.add(6, 6)).isEqualTo(12);
        assertThat(service.perValue).containsOnlyKeys(6);
    }

    @Test
    void interruptedCallerWithdrawsItsQueuedRequest() throws Exception {
        URI later = URI.create("poll://interrupted/");
        Calculator calc = octopus.createClient(Calculator.class, polling(later));
        AtomicInteger outcome = new AtomicInteger();
        Thread caller = new Thread(() -> {
            try {
                calc.add(9, 9);
                outcome.set(1);
            } catch (HalibutClientException e) {
                outcome.set(e.getMessage().contains("withdrawn") ? 2 : 3);
            }
        });
        caller.start();
        Await.until("the request to be queued", Duration.ofSeconds(10), () -> caller.getState() == Thread.State.TIMED_WAITING);
        caller.interrupt();
        caller.join(10_000);
        assertThat(outcome).hasValue(2);

        PollingSubscription sub = tentacle.poll(later, listener());
        Await.until("the poller to connect", Duration.ofSeconds(30), () -> sub.connectedCount() == 1);
        assertThat(calc.add(10, 10)).isEqualTo(20);
        assertThat(service.perValue).containsOnlyKeys(10);
    }

    @Test
    void untrustedPollerIsRejected() {
        octopus.removeTrust(tentacle.thumbprint());
        fixture.assertNothingIsCollected(tentacle.poll(SUBSCRIPTION, listener()), SUBSCRIPTION, service.invocations);
    }

    @Test
    void pollerRefusesAListenerWithTheWrongThumbprint() {
        ServiceEndPoint impostor = new ServiceEndPoint(listener().baseUri(), TestIdentities.STRANGER.certificate() == null
                ? null : dev.halibut.Thumbprints.of(TestIdentities.STRANGER.certificate()));
        fixture.assertNothingIsCollected(tentacle.poll(SUBSCRIPTION, impostor), SUBSCRIPTION, service.invocations);
    }

    @Test
    void requestsGoOnlyToTheirSubscriptionAndTheExpectedCertificate() {
        // A second trusted host, with another certificate, polls another subscription.
        CountingCalculator otherService = new CountingCalculator();
        HalibutRuntime other = fixture.track(HalibutRuntime.builder()
                .certificate(TestIdentities.STRANGER.certificate(), TestIdentities.STRANGER.privateKey())
                .service(Calculator.class, otherService).build());
        octopus.trust(other.thumbprint());
        URI a = URI.create("poll://a/");
        URI b = URI.create("poll://b/");
        tentacle.poll(a, listener());
        other.poll(b, listener());
        // The stranger also polls a's subscription, but requests for a name the tentacle's certificate.
        PollingSubscription intruder = other.poll(a, listener());
        Await.until("the intruder to connect", Duration.ofSeconds(30), () -> intruder.connectedCount() == 1);

        for (int i = 0; i < 20; i++) {
            assertThat(octopus.createClient(Calculator.class, polling(a)).add(i, 0)).isEqualTo(i);
        }
        assertThat(octopus.createClient(Calculator.class, new ServiceEndPoint(b, other.thumbprint())).add(100, 0))
                .isEqualTo(100);
        assertThat(service.perValue.keySet()).hasSize(20).doesNotContain(100);
        assertThat(otherService.perValue).containsOnlyKeys(100);
    }

    @Test
    void stoppingOneSubscriptionStopsOnlyIt() {
        URI a = URI.create("poll://a/");
        URI b = URI.create("poll://b/");
        PollingSubscription subA = tentacle.poll(a, listener());
        tentacle.poll(b, listener());
        assertThat(octopus.createClient(Calculator.class, polling(a)).add(1, 0)).isEqualTo(1);
        assertThat(octopus.status().inbound()).as("the listener's view of poll://a/ before the close")
                .anySatisfy(i -> assertThat(i.endpoint()).isEqualTo("poll://a/"));
        subA.close();
        assertThat(subA.connectedCount()).isZero();
        // The listener learns of the closed connection from its event loop, an instant after the service host closed
        // it; a request handed to the connection in that instant would be sent on it and end "may have run". Once the
        // listener has seen the end, nobody takes requests of poll://a/ any more.
        Await.until("the listener to see poll://a/'s connection end", Duration.ofSeconds(10),
                () -> octopus.status().inbound().stream().noneMatch(
                        i -> i.role() == HalibutObserver.Role.SUBSCRIBER && i.endpoint().equals("poll://a/") && i.open() > 0));
        assertThatThrownBy(() -> octopus.createClient(Calculator.class, shortCollection(polling(a), Duration.ofMillis(500)))
                .add(2, 0)).hasMessageContaining("not collected");
        assertThat(octopus.createClient(Calculator.class, polling(b)).add(3, 0)).isEqualTo(3);
    }

    @Test
    void idleSubscriberConnectionIsKeptAliveAndServesAfterwards() {
        fixture.assertAnIdleSubscriberIsKeptAliveAndServesAfterwards("https", SUBSCRIPTION);
    }

    @Test
    void closingTheListenerFailsQueuedCalls() throws Exception {
        Calculator calc = octopus.createClient(Calculator.class, polling(URI.create("poll://nobody/")));
        CompletableFuture<Integer> pending = calc.addAsync(1, 1);
        octopus.close();
        assertThatThrownBy(() -> pending.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(HalibutClientException.class)
                .hasMessageContaining("closed");
    }
}
