package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the polling-mode tests share, whichever way the service host reaches the listener ({@code https://} in
 * PollingModeTest, {@code wss://} in WebSocketPollingTest): a caller (octopus) listening on loopback, a service host
 * (tentacle) it trusts, and the checks whose steps do not depend on that way. Closes what it made, the last made
 * first; registered as a test's extension ({@code @RegisterExtension} on an instance field, so made anew for each
 * test), after each test.
 */
final class PollingFixture implements AutoCloseable, AfterEachCallback {

    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** The listening caller made first; a test may close it and make another with {@link #listener}. */
    final HalibutRuntime octopus;
    final HalibutRuntime tentacle;
    /** Where {@link #octopus} listens. */
    final int port;

    /**
     * @param services registers the service host's services on its builder
     */
    PollingFixture(UnaryOperator<HalibutRuntime.Builder> services) {
        this(HalibutLimits.defaults(), services);
    }

    /**
     * @param listenerLimits the octopus's limits
     * @param services registers the service host's services on its builder
     */
    PollingFixture(HalibutLimits listenerLimits, UnaryOperator<HalibutRuntime.Builder> services) {
        octopus = listener(listenerLimits);
        port = octopus.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tentacle = track(services.apply(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())).build());
        octopus.trust(tentacle.thumbprint());
    }

    /** Closed with the fixture, before everything tracked earlier. */
    <T extends AutoCloseable> T track(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    /** A caller with the octopus certificate and these limits, not yet listening nor trusting anyone. */
    HalibutRuntime listener(HalibutLimits limits) {
        return track(HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(limits).build());
    }

    /** {@link #octopus}'s listener, as a poller reaches it: {@code https://localhost:port/}. */
    ServiceEndPoint https() {
        return new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), octopus.thumbprint());
    }

    /**
     * {@code count} subscriptions of the tentacle, {@code poll://<prefix>-<i>/} for i from 0, polling {@code listener}:
     * returns once every one is connected (within two minutes; many TLS handshakes take a while on a busy machine).
     */
    List<PollingSubscription> connectedSubscriptions(String prefix, int count, ServiceEndPoint listener) {
        List<PollingSubscription> subs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            subs.add(tentacle.poll(URI.create("poll://" + prefix + "-" + i + "/"), listener));
        }
        Await.until(count + " subscribers connected", Duration.ofSeconds(120),
                () -> subs.stream().allMatch(s -> s.connectedCount() == 1));
        return subs;
    }

    /** The tentacle's services, as a caller reaches them through {@code subscription}. */
    ServiceEndPoint polling(URI subscription) {
        return new ServiceEndPoint(subscription, tentacle.thumbprint());
    }

    static ServiceEndPoint shortCollection(ServiceEndPoint endpoint, Duration collectionTimeout) {
        return endpoint.withLimits(HalibutLimits.defaults().withPollingCollectionTimeout(collectionTimeout));
    }

    /**
     * A subscription that never connects ({@code sub}, refused in the handshake one way or the other): a call through
     * it is not collected within a second, and the service never runs.
     */
    void assertNothingIsCollected(PollingSubscription sub, URI subscription, AtomicInteger invocations) {
        Calculator calc = octopus.createClient(Calculator.class, shortCollection(polling(subscription), Duration.ofSeconds(1)));
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("not collected");
        assertThat(sub.connectedCount()).isZero();
        assertThat(invocations).hasValue(0);
    }

    /** The tentacle, polling {@code listener}, connects again once {@link #octopus} is replaced by a listener on its port. */
    void assertPollerReconnectsAfterTheListenerRestarts(ServiceEndPoint listener, URI subscription) {
        PollingSubscription sub = tentacle.poll(subscription, listener);
        assertThat(octopus.createClient(Calculator.class, polling(subscription)).add(1, 1)).isEqualTo(2);

        octopus.close();
        Await.until("the poller to notice the listener is gone", Duration.ofSeconds(30), () -> sub.connectedCount() == 0);
        HalibutRuntime restarted = listener(HalibutLimits.defaults());
        restarted.trust(tentacle.thumbprint());
        restarted.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertThat(restarted.createClient(Calculator.class, polling(subscription)).add(2, 2)).isEqualTo(4);
    }

    /**
     * A listener that sends keep-alives every 50 ms to a subscriber whose read times out after 550 ms (keep-alive +
     * heartbeat), polled at {@code scheme://localhost:port/}: the subscriber stays connected through 1.5 s of idle time,
     * which it would not without keep-alives, and then serves.
     */
    void assertAnIdleSubscriberIsKeptAliveAndServesAfterwards(String scheme, URI subscription) {
        HalibutRuntime fastKeepAlive = listener(HalibutLimits.defaults().withPollingKeepAlive(Duration.ofMillis(50))
                .withHeartbeatTimeout(Duration.ofMillis(500)));
        fastKeepAlive.trust(tentacle.thumbprint());
        int p = fastKeepAlive.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ServiceEndPoint l = new ServiceEndPoint(URI.create(scheme + "://localhost:" + p + "/"), fastKeepAlive.thumbprint());
        PollingSubscription sub = tentacle.poll(subscription, l.withLimits(fastKeepAlive.limits()));
        Await.until("the poller to connect", Duration.ofSeconds(30), () -> sub.connectedCount() == 1);
        long idleUntil = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        Await.until("1.5 s of idle time, connected all along", Duration.ofSeconds(10), () -> {
            assertThat(sub.connectedCount()).isEqualTo(1);
            return System.nanoTime() > idleUntil;
        });
        assertThat(fastKeepAlive.createClient(Calculator.class, polling(subscription)).add(4, 4)).isEqualTo(8);
    }

    /** As a test's extension: closes after the test, then checks that no Halibut thread outlived what it closed. */
    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
        ThreadLeaks.assertNoHalibutThreads();
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
    }
}
