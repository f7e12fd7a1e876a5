package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.ConnectionLogEntry;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutObserver.CallEvent;
import dev.halibut.runtime.HalibutObserver.ConnectionEvent;
import dev.halibut.runtime.HalibutObserver.Direction;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.runtime.HalibutObserver.QueueEvent;
import dev.halibut.runtime.HalibutObserver.Role;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PingResult;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.RuntimeStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The observer SPI, the status snapshot, the connection log and ping, with two runtimes on loopback in
 * both modes: what each side reports must match what happened.
 */
class ObservabilityTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final URI SUBSCRIPTION = URI.create("poll://Observed-Sub/");
    private static final String SUBSCRIPTION_KEY = "poll://observed-sub/";

    private final CalculatorService service = new CalculatorService();
    /** What the service host of a test reports (each test has its own instance of this class). */
    private final Recorder hostEvents = new Recorder();
    /** What the caller of a test reports. */
    private final Recorder callerEvents = new Recorder();

    @RegisterExtension
    final TestResources resources = new TestResources();

    /** Records every event, in order, from any thread. */
    static final class Recorder implements HalibutObserver {
        final List<Object> events = new CopyOnWriteArrayList<>();

        @Override
        public void connectionOpened(ConnectionEvent e) {
            events.add(new Opened(e));
        }

        @Override
        public void connectionClosed(ConnectionEvent e) {
            events.add(new Closed(e));
        }

        @Override
        public void connectFailed(ConnectFailure e) {
            events.add(e);
        }

        @Override
        public void handshakeRejected(Rejection e) {
            events.add(e);
        }

        @Override
        public void callCompleted(CallEvent e) {
            events.add(new Called(e));
        }

        @Override
        public void requestServed(CallEvent e) {
            events.add(new Served(e));
        }

        @Override
        public void requestQueued(QueueEvent e) {
            events.add(new Queued(e));
        }

        @Override
        public void requestCollected(QueueEvent e) {
            events.add(new Collected(e));
        }

        @Override
        public void requestExpired(QueueEvent e) {
            events.add(new Expired(e));
        }

        <T> List<T> of(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T> T await(Class<T> type, Predicate<T> condition) {
            Await.until("an event " + type.getSimpleName() + " matching the condition; events: " + events, WAIT,
                    () -> of(type).stream().anyMatch(condition));
            return of(type).stream().filter(condition).findFirst().orElseThrow();
        }
    }

    record Opened(ConnectionEvent e) {
    }

    record Closed(ConnectionEvent e) {
    }

    record Called(CallEvent e) {
    }

    record Served(CallEvent e) {
    }

    record Queued(QueueEvent e) {
    }

    record Collected(QueueEvent e) {
    }

    record Expired(QueueEvent e) {
    }

    private HalibutRuntime runtime(CertificateAndKey id, boolean withService, HalibutObserver observer) {
        return runtime(id, withService, observer, HalibutLimits.defaults());
    }

    private HalibutRuntime runtime(CertificateAndKey id, boolean withService, HalibutObserver observer,
                                   HalibutLimits limits) {
        HalibutRuntime.Builder b = HalibutRuntime.builder().certificate(id.certificate(), id.privateKey()).timeouts(limits);
        if (withService) {
            b.service(Calculator.class, service);
        }
        if (observer != null) {
            b.observer(observer);
        }
        HalibutRuntime r = b.build();
        resources.add(r);
        return r;
    }

    /** A service host with the calculator, reporting to {@link #hostEvents}. */
    private HalibutRuntime observedHost() {
        return runtime(TestIdentities.TENTACLE, true, hostEvents);
    }

    /** A caller with no service, reporting to {@link #callerEvents}. */
    private HalibutRuntime observedCaller(HalibutLimits limits) {
        return runtime(TestIdentities.OCTOPUS, false, callerEvents, limits);
    }

    /** {@code listener} listening on a free loopback port and trusting {@code peer}: the port. */
    private static int listenTrusting(HalibutRuntime listener, HalibutRuntime peer) {
        int port = listener.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        listener.trust(peer.thumbprint());
        return port;
    }

    @Test
    void listeningModeEventsStatusAndConnectionLogOnBothSides() throws Exception {
        HalibutRuntime host = observedHost();
        HalibutRuntime caller = observedCaller(HalibutLimits.defaults());
        int port = listenTrusting(host, caller);
        String endpoint = "https://127.0.0.1:" + port + "/";
        Calculator calc = caller.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/some/path"), host.thumbprint()));

        assertThat(calc.add(1, 2)).isEqualTo(3);

        // The caller: one outbound connection, one successful call, reported before the call returned.
        Opened out = callerEvents.of(Opened.class).get(0);
        assertThat(out.e().endpoint()).isEqualTo(endpoint);
        assertThat(out.e().direction()).isEqualTo(Direction.OUTBOUND);
        assertThat(out.e().role()).isEqualTo(Role.CALLER);
        assertThat(out.e().remoteThumbprint()).isEqualTo(host.thumbprint());
        assertThat(out.e().openFor()).isNull();
        Called call = callerEvents.of(Called.class).get(0);
        assertThat(call.e().endpoint()).isEqualTo(endpoint);
        assertThat(call.e().service()).isEqualTo("Calculator");
        assertThat(call.e().method()).isEqualTo("add");
        assertThat(call.e().outcome()).isEqualTo(Outcome.OK);
        assertThat(call.e().failure()).isNull();
        assertThat(call.e().duration()).isPositive();

        // The host: the inbound connection (known before it answered) and the served request.
        String listenKey = "listen://127.0.0.1:" + port + "/";
        Opened in = hostEvents.of(Opened.class).get(0);
        assertThat(in.e().endpoint()).isEqualTo(listenKey);
        assertThat(in.e().direction()).isEqualTo(Direction.INBOUND);
        assertThat(in.e().remoteThumbprint()).isEqualTo(caller.thumbprint());
        Served served = hostEvents.await(Served.class, s -> true);
        assertThat(served.e().endpoint()).isEqualTo(listenKey);
        assertThat(served.e().remoteThumbprint()).isEqualTo(caller.thumbprint());
        assertThat(served.e().service()).isEqualTo("Calculator");
        assertThat(served.e().method()).isEqualTo("add");
        assertThat(served.e().outcome()).isEqualTo(Outcome.OK);

        RuntimeStatus callerStatus = caller.status();
        assertThat(callerStatus.thumbprint()).isEqualTo(caller.thumbprint());
        assertThat(callerStatus.outbound()).containsExactly(
                new RuntimeStatus.OutboundConnections(endpoint, host.thumbprint(), 1, 0));
        assertThat(callerStatus.inbound()).isEmpty();
        assertThat(callerStatus.services()).isEmpty();
        RuntimeStatus hostStatus = host.status();
        assertThat(hostStatus.listening()).extracting(InetSocketAddress::getPort).containsExactly(port);
        assertThat(hostStatus.services()).containsExactly("Calculator");
        assertThat(hostStatus.trusted()).containsExactly(caller.thumbprint());
        assertThat(hostStatus.inbound()).containsExactly(
                new RuntimeStatus.InboundConnections(listenKey, caller.thumbprint(), Role.CALLER, 1));

        // A call in progress counts as in use, on its own connection.
        CompletableFuture<Integer> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return calc.slow(500);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, OwnThread.EACH);
        Await.until("a connection in use", WAIT, () -> caller.status().outbound().stream().anyMatch(o -> o.inUse() == 1));
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(500);

        assertThat(caller.connectionLog("HTTPS://127.0.0.1:" + port)).extracting(ConnectionLogEntry::message)
                .anyMatch(m -> m.startsWith("Connection to " + endpoint + " opened (certificate " + host.thumbprint()));
        assertThat(host.connectionLog(listenKey)).extracting(ConnectionLogEntry::message)
                .anyMatch(m -> m.startsWith("Caller /127.0.0.1:") && m.contains(caller.thumbprint()));
        assertThat(caller.connectionLogEndpoints()).containsExactly(endpoint);

        // Closing the caller closes its pooled connections: both sides see them close.
        caller.close();
        Closed closedHere = callerEvents.await(Closed.class, c -> c.e().endpoint().equals(endpoint));
        assertThat(closedHere.e().openFor()).isPositive();
        hostEvents.await(Closed.class, c -> c.e().endpoint().equals(listenKey));
        Await.until("the host's inbound connections to be gone", WAIT, () -> host.status().inbound().isEmpty());
        assertThat(caller.status().outbound()).isEmpty();
    }

    @Test
    void connectionEventsSayTheRouteEachConnectionTravels() throws Exception {
        HalibutRuntime host = observedHost();
        HalibutRuntime caller = observedCaller(HalibutLimits.defaults());
        int hostPort = listenTrusting(host, caller);
        int callerPort = listenTrusting(caller, host);

        // Listening mode: straight over TLS.
        Calculator calc = caller.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + hostPort + "/"), host.thumbprint()));
        assertThat(calc.add(1, 2)).isEqualTo(3);
        assertThat(callerEvents.await(Opened.class, o -> o.e().direction() == Direction.OUTBOUND).e().route())
                .isEqualTo(RuntimeStatus.DIRECT);
        assertThat(hostEvents.await(Opened.class, o -> o.e().direction() == Direction.INBOUND).e().route())
                .isEqualTo(RuntimeStatus.TLS);

        // Polling over a secure WebSocket: the service host connects out to the caller's listener.
        resources.addFirst(host.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create("wss://localhost:" + callerPort + "/halibut"), caller.thumbprint())));
        Calculator polled = caller.createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION, host.thumbprint()));
        assertThat(polled.add(2, 3)).isEqualTo(5);
        assertThat(hostEvents.await(Opened.class, o -> o.e().direction() == Direction.OUTBOUND).e().route())
                .isEqualTo(RuntimeStatus.WSS);
        assertThat(callerEvents.await(Opened.class, o -> o.e().direction() == Direction.INBOUND).e().route())
                .isEqualTo(RuntimeStatus.WSS);

        // And the close of a connection says its route as its opening did.
        caller.close();
        assertThat(hostEvents.await(Closed.class, c -> c.e().direction() == Direction.INBOUND).e().route())
                .isEqualTo(RuntimeStatus.TLS);
        assertThat(callerEvents.await(Closed.class, c -> c.e().direction() == Direction.OUTBOUND).e().route())
                .isEqualTo(RuntimeStatus.DIRECT);
    }

    @Test
    void failuresAreReportedByKind() throws Exception {
        HalibutRuntime host = observedHost();
        HalibutRuntime caller = observedCaller(HalibutLimits.defaults());
        int port = listenTrusting(host, caller);
        ServiceEndPoint endpoint = new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), host.thumbprint());
        Calculator calc = caller.createClient(Calculator.class, endpoint);

        assertThatThrownBy(() -> calc.fail("disk full")).isInstanceOf(HalibutClientException.class);
        assertThat(callerEvents.of(Called.class).get(0).e().outcome()).isEqualTo(Outcome.INVOCATION_ERROR);
        assertThat(callerEvents.of(Called.class).get(0).e().failure()).contains("disk full");
        Served served = hostEvents.await(Served.class, s -> s.e().method().equals("fail"));
        assertThat(served.e().outcome()).isEqualTo(Outcome.INVOCATION_ERROR);
        assertThat(served.e().failure()).isEqualTo(IllegalStateException.class.getName() + ": disk full");

        BothModesTest.Missing missing = caller.createClient(BothModesTest.Missing.class, endpoint);
        assertThatThrownBy(missing::anything).isInstanceOf(HalibutClientException.class);
        assertThat(callerEvents.of(Called.class).get(1).e().outcome()).isEqualTo(Outcome.SERVICE_NOT_FOUND);
        assertThat(hostEvents.await(Served.class, s -> s.e().service().equals("Missing")).e().outcome())
                .isEqualTo(Outcome.SERVICE_NOT_FOUND);
        assertThat(caller.connectionLog(endpoint.baseUri().toString())).extracting(ConnectionLogEntry::message)
                .anyMatch(m -> m.startsWith("Call to Missing.anything failed after") && m.contains("SERVICE_NOT_FOUND"));

        // A caller the host does not trust: refused in the handshake, and both sides say so.
        Recorder strangerEvents = new Recorder();
        HalibutRuntime stranger = runtime(TestIdentities.STRANGER, false, strangerEvents);
        Calculator refused = stranger.createClient(Calculator.class, endpoint);
        assertThatThrownBy(() -> refused.add(1, 2)).isInstanceOf(HalibutClientException.class);
        assertThat(strangerEvents.of(Called.class).get(0).e().outcome()).isEqualTo(Outcome.CONNECT_FAILED);
        assertThat(strangerEvents.of(HalibutObserver.ConnectFailure.class).get(0).endpoint())
                .isEqualTo("https://127.0.0.1:" + port + "/");
        HalibutObserver.Rejection rejection = hostEvents.await(HalibutObserver.Rejection.class, r -> true);
        assertThat(rejection.listener()).isEqualTo("listen://127.0.0.1:" + port + "/");
        assertThat(rejection.reason()).contains(stranger.thumbprint());
        assertThat(host.connectionLog("listen://127.0.0.1:" + port + "/")).extracting(ConnectionLogEntry::message)
                .anyMatch(m -> m.startsWith("Refused /127.0.0.1:") && m.contains(stranger.thumbprint()));

        // Nobody listening at all.
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Calculator nowhere = caller.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + closedPort + "/"), host.thumbprint())
                        .withLimits(HalibutLimits.defaults().withConnectAttempts(1)));
        assertThatThrownBy(() -> nowhere.add(1, 2)).isInstanceOf(HalibutClientException.class);
        Called failedConnect = callerEvents.of(Called.class).get(2);
        assertThat(failedConnect.e().endpoint()).isEqualTo("https://127.0.0.1:" + closedPort + "/");
        assertThat(failedConnect.e().outcome()).isEqualTo(Outcome.CONNECT_FAILED);
        assertThat(caller.connectionLog("https://127.0.0.1:" + closedPort + "/")).extracting(ConnectionLogEntry::level)
                .contains(ConnectionLogEntry.Level.WARN);
    }

    @Test
    void pollingModeQueueEventsStatusAndExpiry() throws Exception {
        // A listener notices a subscriber gone at its next keep-alive: short, so the test sees it soon.
        HalibutRuntime host = observedHost();
        HalibutRuntime caller = observedCaller(HalibutLimits.defaults().withPollingKeepAlive(Duration.ofMillis(300)));
        int port = listenTrusting(caller, host);
        String listenerUri = "https://127.0.0.1:" + port + "/";
        PollingSubscription subscription = host.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create(listenerUri), caller.thumbprint()), 2);
        resources.addFirst(subscription);
        Calculator calc = caller.createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION, host.thumbprint()));

        Await.until("both polling connections up", WAIT, () -> subscription.connectedCount() == 2);
        assertThat(host.status().subscriptions()).containsExactly(new RuntimeStatus.Subscription(SUBSCRIPTION,
                URI.create(listenerUri), caller.thumbprint(), 2, 2));
        // The listener writes its identification answer before it records the connection, so the subscriber may
        // count a connection a moment before the listener lists it.
        RuntimeStatus.InboundConnections bothInbound = new RuntimeStatus.InboundConnections(SUBSCRIPTION_KEY,
                host.thumbprint(), Role.SUBSCRIBER, 2);
        Await.until("the listener lists both polling connections", WAIT,
                () -> caller.status().inbound().equals(java.util.List.of(bothInbound)));
        assertThat(caller.status().inbound()).containsExactly(bothInbound);
        assertThat(hostEvents.of(Opened.class)).allSatisfy(o -> {
            assertThat(o.e().endpoint()).isEqualTo(SUBSCRIPTION_KEY);
            assertThat(o.e().direction()).isEqualTo(Direction.OUTBOUND);
            assertThat(o.e().role()).isEqualTo(Role.SUBSCRIBER);
        });

        assertThat(calc.add(2, 3)).isEqualTo(5);
        Queued queued = callerEvents.of(Queued.class).get(0);
        assertThat(queued.e().subscription()).isEqualTo(SUBSCRIPTION_KEY);
        assertThat(queued.e().expectedThumbprint()).isEqualTo(host.thumbprint());
        assertThat(queued.e().service()).isEqualTo("Calculator");
        assertThat(queued.e().method()).isEqualTo("add");
        assertThat(queued.e().waited()).isZero();
        Collected collected = callerEvents.of(Collected.class).get(0);
        assertThat(collected.e().requestId()).isEqualTo(queued.e().requestId());
        assertThat(collected.e().waited()).isGreaterThanOrEqualTo(Duration.ZERO);
        assertThat(callerEvents.of(Called.class).get(0).e().outcome()).isEqualTo(Outcome.OK);
        assertThat(callerEvents.of(Called.class).get(0).e().endpoint()).isEqualTo(SUBSCRIPTION_KEY);
        Served served = hostEvents.await(Served.class, s -> true);
        assertThat(served.e().endpoint()).isEqualTo(SUBSCRIPTION_KEY);
        assertThat(served.e().remoteThumbprint()).isEqualTo(caller.thumbprint());
        assertThat(served.e().outcome()).isEqualTo(Outcome.OK);
        assertThat(caller.status().pending()).isEmpty();

        // A subscription nobody polls: the request waits in the status, then expires.
        URI lonely = URI.create("poll://lonely/");
        Calculator unanswered = caller.createClient(Calculator.class, new ServiceEndPoint(lonely, host.thumbprint())
                .withLimits(HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofMillis(1500))));
        CompletableFuture<Integer> waiting = unanswered.addAsync(1, 1);
        Await.until("the request pending for poll://lonely/", WAIT, () -> caller.status().pending().stream()
                .anyMatch(p -> p.subscription().equals("poll://lonely/") && p.count() == 1));
        assertThatThrownBy(() -> waiting.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(HalibutClientException.class);
        Expired expired = callerEvents.await(Expired.class, e -> true);
        assertThat(expired.e().subscription()).isEqualTo("poll://lonely/");
        assertThat(expired.e().waited()).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(callerEvents.await(Called.class, c -> c.e().endpoint().equals("poll://lonely/")).e().outcome())
                .isEqualTo(Outcome.NOT_COLLECTED);
        assertThat(caller.status().pending()).isEmpty();
        assertThat(caller.connectionLog("poll://lonely/")).extracting(ConnectionLogEntry::message)
                .anyMatch(m -> m.startsWith("Request Calculator.add (") && m.contains("was not collected"));

        // Stopping the subscription: the polling host's connections close, and the status says so.
        subscription.close();
        assertThat(host.status().subscriptions()).isEmpty();
        Await.until("the subscriber connections closed on the listener", WAIT, () -> caller.status().inbound().isEmpty());
        assertThat(hostEvents.of(Closed.class)).hasSize(2);
    }

    @Test
    void pingMeasuresBothModesAndFailsClearly() throws Exception {
        HalibutRuntime host = observedHost();
        HalibutRuntime caller = runtime(TestIdentities.OCTOPUS, false, null);
        int hostPort = listenTrusting(host, caller);
        ServiceEndPoint listening = new ServiceEndPoint(URI.create("https://127.0.0.1:" + hostPort + "/"), host.thumbprint());

        PingResult direct = caller.ping(listening);
        assertThat(direct.endpoint()).isEqualTo(listening);
        assertThat(direct.handshake()).isPositive();
        assertThat(direct.collected()).isNull();
        assertThat(direct.roundTrip()).isPositive();
        Served ping = hostEvents.await(Served.class, s -> true);
        assertThat(ping.e().service()).isEqualTo("halibut.ping");
        assertThat(ping.e().outcome()).isEqualTo(Outcome.OK);
        // The ping's own connection is not pooled: it is closed when the ping returns.
        assertThat(caller.status().outbound()).isEmpty();
        assertThat(service.invocations).hasValue(0);

        int callerPort = listenTrusting(caller, host);
        PollingSubscription subscription = host.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + callerPort + "/"), caller.thumbprint()));
        resources.addFirst(subscription);
        PingResult polled = caller.ping(new ServiceEndPoint(SUBSCRIPTION, host.thumbprint()));
        assertThat(polled.handshake()).isNull();
        assertThat(polled.collected()).isGreaterThanOrEqualTo(Duration.ZERO);
        assertThat(polled.roundTrip()).isPositive();

        String wrong = dev.halibut.Thumbprints.of(TestIdentities.STRANGER.certificate());
        assertThatThrownBy(() -> caller.ping(new ServiceEndPoint(listening.baseUri(), wrong)))
                .isInstanceOf(HalibutClientException.class).hasMessageContaining(wrong);
        assertThatThrownBy(() -> caller.ping(new ServiceEndPoint(URI.create("poll://nobody/"), host.thumbprint())
                .withLimits(HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofMillis(300)))))
                .isInstanceOf(HalibutClientException.class).hasMessageContaining("not collected");
    }

    @jakarta.inject.Named("halibut.mine")
    interface Reserved {
        void anything();
    }

    @Test
    void builtInServiceNamesAreReserved() {
        HalibutRuntime host = runtime(TestIdentities.TENTACLE, false, null);
        assertThatThrownBy(() -> host.register(Reserved.class, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    }

    @Test
    void aThrowingObserverBreaksNothingAndRemovedObserversHearNothing() throws Exception {
        AtomicInteger thrown = new AtomicInteger();
        HalibutObserver broken = new HalibutObserver() {
            @Override
            public void connectionOpened(ConnectionEvent event) {
                thrown.incrementAndGet();
                throw new IllegalStateException("observer bug");
            }

            @Override
            public void callCompleted(CallEvent event) {
                thrown.incrementAndGet();
                throw new IllegalStateException("observer bug");
            }

            @Override
            public void requestServed(CallEvent event) {
                thrown.incrementAndGet();
                throw new Error("worse observer bug");
            }
        };
        Recorder after = new Recorder();
        Recorder removed = new Recorder();
        HalibutRuntime host = runtime(TestIdentities.TENTACLE, true, broken);
        HalibutRuntime caller = runtime(TestIdentities.OCTOPUS, false, broken);
        caller.addObserver(after);
        caller.addObserver(removed);
        caller.removeObserver(removed);
        int port = listenTrusting(host, caller);
        Calculator calc = caller.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), host.thumbprint()));

        for (int i = 0; i < 3; i++) {
            assertThat(calc.add(i, 1)).isEqualTo(i + 1);
        }
        Await.until("the broken observer to have been called for every event", WAIT, () -> thrown.get() >= 1 + 1 + 3 + 3);
        assertThat(after.of(Called.class)).hasSize(3).allSatisfy(c -> assertThat(c.e().outcome()).isEqualTo(Outcome.OK));
        assertThat(after.of(Opened.class)).hasSize(1);
        assertThat(removed.events).isEmpty();
    }
}
