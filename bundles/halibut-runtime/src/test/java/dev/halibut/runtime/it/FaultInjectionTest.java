package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.testing.FaultInjectingProxy;
import dev.halibut.runtime.testing.FaultInjectingProxy.LiveFault;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every failure mode of the design, injected by {@link FaultInjectingProxy} on the TCP path, in both modes:
 * between caller and listening service host, and between polling service host and listening caller.
 * Every call ends with its result or a {@link HalibutClientException} within its own timeout; no request
 * runs twice (the service counts executions per request); and after each test no thread, socket or
 * temporary file is left (the calls carry streams both ways, large enough to be spooled to disk).
 */
class FaultInjectionTest {


    private static final URI SUBSCRIPTION = URI.create("poll://fault-injection/");
    private static final int STREAM = 100 * 1024; // over the in-memory limit: received into a temporary file
    /** What a single wait in these tests may take at most, however loaded the machine. */
    private static final Duration SLACK = Duration.ofSeconds(10);
    private static final HalibutLimits LIMITS = HalibutLimits.defaults()
            .withConnectTimeout(Duration.ofSeconds(1)).withConnectRetryWindow(Duration.ofSeconds(2))
            .withResponseTimeout(Duration.ofMillis(1500)).withPollingCollectionTimeout(Duration.ofSeconds(2))
            .withHeartbeatTimeout(Duration.ofSeconds(1)).withHandshakeTimeout(Duration.ofSeconds(5))
            // Faults are injected into the next bytes of an established connection, which must be the liveness
            // check (NEXT / PROCEED) these tests are about: no request skips it here, however recent the last.
            .withHeartbeatSkipWindow(Duration.ZERO);

    /** The contract: one plain call, and one that carries streams both ways and waits at a gate. */
    public interface Work {
        int run(int id);

        DataStream gated(int id, DataStream upload);
    }

    /** Counts executions per request id; {@link #gated} waits until the test opens the gate. */
    static final class WorkService implements Work {
        final Map<Integer, AtomicInteger> executions = new ConcurrentHashMap<>();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public int run(int id) {
            executions.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            return id;
        }

        @Override
        public DataStream gated(int id, DataStream upload) {
            executions.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return DataStream.fromBytes(new byte[STREAM]);
        }

        int executionsOf(int id) {
            AtomicInteger n = executions.get(id);
            return n == null ? 0 : n.get();
        }
    }

    @TempDir
    Path callerTemp;
    @TempDir
    Path serviceTemp;

    private final WorkService service = new WorkService();
    private final AtomicInteger ids = new AtomicInteger();
    private long socketsBefore;
    private Mode mode;
    private HalibutRuntime caller;
    private HalibutRuntime serviceHost;
    private FaultInjectingProxy proxy;
    private PollingSubscription subscription;
    private Work work;

    private void start(Mode m) throws IOException {
        mode = m;
        socketsBefore = SocketLeaks.openSockets();
        caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(LIMITS).temporaryDirectory(callerTemp).build();
        serviceHost = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .timeouts(LIMITS).temporaryDirectory(serviceTemp).service(Work.class, service).build();
        ModeWiring.Wired wired = ModeWiring.wire(m, caller, serviceHost, SUBSCRIPTION, port -> {
            proxy = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return proxy.port();
        }, 1);
        subscription = wired.subscription();
        if (subscription != null) {
            Await.until("the poller to connect", SLACK, () -> subscription.connectedCount() == 1);
        }
        work = caller.createClient(Work.class, wired.endpoint());
        assertSucceedsOnce();
    }

    @AfterEach
    void stop() throws Exception {
        service.release.countDown();
        if (caller == null) {
            return;
        }
        caller.close();
        serviceHost.close();
        proxy.close();
        ThreadLeaks.assertNoHalibutThreads();
        SocketLeaks.assertBackTo(socketsBefore, SLACK);
        for (Path dir : new Path[] {callerTemp, serviceTemp}) {
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.toList()).as("temporary files left in " + dir).isEmpty();
            }
        }
    }

    // --- the faults ---

    @ParameterizedTest
    @EnumSource(Mode.class)
    void refusedConnections(Mode m) throws Exception {
        start(m);
        assertNewConnectionsFailUntilForwarded(proxy::refuse, "after 5 attempts", () -> { });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void resetOfAnIdleConnectionBeforeTheRequestIsSent(Mode m) throws Exception {
        start(m);
        proxy.killAll();
        // Nothing of the next request was sent on the dead connection: the liveness check (NEXT/PROCEED)
        // finds it dead and the request goes over a new connection, exactly once.
        assertSucceedsOnce();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void resetDuringTheHandshakeOfEveryNewConnection(Mode m) throws Exception {
        start(m);
        // 100 bytes: inside the server's first TLS flight.
        assertNewConnectionsFailUntilForwarded(() -> proxy.resetAfterServerBytes(100), "Could not connect", () -> { });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void resetAfterTheRequestWasSent(Mode m) throws Exception {
        start(m);
        assertGatedCallFails(LiveFault.RESET, "may have run");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stalledResponse(Mode m) throws Exception {
        start(m);
        assertGatedCallFails(LiveFault.STALL, m == Mode.LISTENING ? "no response within" : "no response came within");
        proxy.forward();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stalledHandshakeOfEveryNewConnection(Mode m) throws Exception {
        start(m);
        // Once forwarding, the stalled connections are killed: a real network would time them out.
        assertNewConnectionsFailUntilForwarded(() -> proxy.stallAfterServerBytes(0), "Could not connect", proxy::killAll);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void truncatedResponse(Mode m) throws Exception {
        start(m);
        assertGatedCallFails(LiveFault.TRUNCATE, "may have run");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void duplicatedResponseBytes(Mode m) throws Exception {
        start(m);
        // TLS authenticates every record: a repeated one fails the connection rather than the content.
        assertGatedCallFails(LiveFault.DUPLICATE, "may have run");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void truncatedOrResetBytesBeforeTheRequest(Mode m) throws Exception {
        start(m);
        for (LiveFault fault : new LiveFault[] {LiveFault.TRUNCATE, LiveFault.RESET}) {
            // The first bytes towards the service host now are the liveness check (NEXT) that precedes every
            // request on an established connection: it fails, nothing of the request was sent, so the request
            // goes over a new connection and runs once.
            injectTowardsServiceHost(fault);
            assertSucceedsOnce();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void duplicatedBytesBeforeTheRequest(Mode m) throws Exception {
        start(m);
        // The liveness check's TLS record arrives twice: the service host answers the first (PROCEED), so the
        // request is sent, and then fails the connection on the repeated record. The caller cannot know whether
        // the request ran, so it must not retry: a documented failure, and the request ran at most once.
        injectTowardsServiceHost(LiveFault.DUPLICATE);
        int id = ids.incrementAndGet();
        long start = System.nanoTime();
        try {
            assertThat(work.run(id)).isEqualTo(id);
            assertThat(service.executionsOf(id)).isEqualTo(1);
        } catch (HalibutClientException e) {
            assertThat(e).hasMessageContaining("may have run");
            assertThat(service.executionsOf(id)).isLessThanOrEqualTo(1);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(LIMITS.responseTimeout().plus(SLACK));
        assertRecovers();
    }

    // --- helpers ---

    /** A gated call carrying streams both ways; {@code fault} hits the response as the service answers. */
    private void assertGatedCallFails(LiveFault fault, String message) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<DataStream> call = CompletableFuture.supplyAsync(
                () -> work.gated(id, DataStream.fromBytes(new byte[STREAM])), OwnThread.EACH);
        assertThat(service.entered.await(SLACK.toSeconds(), TimeUnit.SECONDS)).isTrue();
        injectTowardsCaller(fault);
        long start = System.nanoTime();
        service.release.countDown();
        DataStream result;
        try {
            result = call.get(SLACK.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e).cause().isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("Work.gated").hasMessageContaining(message);
            result = null;
        }
        if (result != null) {
            // A caller gets the result once the response message is decoded (its stream is read from the
            // connection afterwards: the listening caller's own, or the polled subscriber connection, the queue
            // being in this process): the fault hit the stream, so reading it fails, naming the stream.
            assertThatThrownBy(result::readAllBytes).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("tream " + result.id());
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the call ended within its timeout")
                .isLessThan(LIMITS.responseTimeout().plus(SLACK));
        assertThat(service.executionsOf(id)).isEqualTo(1);
        if (fault == LiveFault.STALL) {
            proxy.forward();
        }
        assertRecovers();
    }

    private void assertSucceedsOnce() {
        int id = ids.incrementAndGet();
        assertThat(work.run(id)).isEqualTo(id);
        assertThat(service.executionsOf(id)).isEqualTo(1);
    }

    /**
     * With {@code fault} set for every new connection: a call fails in time, saying {@code listeningFailure} in
     * listening mode and "not collected" in polling mode, and never runs; once the proxy forwards again (and
     * {@code afterForwarding} has cleared what the fault left behind), calls succeed again.
     */
    private void assertNewConnectionsFailUntilForwarded(Runnable fault, String listeningFailure, Runnable afterForwarding)
            throws Exception {
        fault.run();
        dropLiveConnections();
        int id = ids.incrementAndGet();
        assertFailsWithin(() -> work.run(id), failBound(), mode == Mode.LISTENING ? listeningFailure : "not collected");
        assertThat(service.executionsOf(id)).isZero();
        proxy.forward();
        afterForwarding.run();
        assertRecovers();
    }

    /** After the fault is gone, calls succeed again (a polling host may need a reconnect first). */
    private void assertRecovers() throws Exception {
        Work patient = mode == Mode.LISTENING ? work : caller.createClient(Work.class,
                new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint())
                        .withLimits(LIMITS.withPollingCollectionTimeout(Duration.ofSeconds(30))));
        int id = ids.incrementAndGet();
        assertThat(patient.run(id)).isEqualTo(id);
        assertThat(service.executionsOf(id)).isEqualTo(1);
        assertThat(service.executions.values()).allSatisfy(n -> assertThat(n.get()).as("executions of one request").isLessThanOrEqualTo(1));
    }

    private void assertFailsWithin(Runnable call, Duration bound, String message) {
        long start = System.nanoTime();
        assertThatThrownBy(call::run).isInstanceOf(HalibutClientException.class).hasMessageContaining(message);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the call ended within its timeout").isLessThan(bound);
    }

    /** The bound for a call that cannot get through: the retry window, or the collection timeout. */
    private Duration failBound() {
        return (mode == Mode.LISTENING ? LIMITS.connectRetryWindow().plus(LIMITS.connectTimeout())
                : LIMITS.pollingCollectionTimeout()).plus(SLACK);
    }

    /** Ends the connections open now, so the fault set for new ones applies (the poller must reconnect). */
    private void dropLiveConnections() {
        proxy.killAll();
        if (mode == Mode.POLLING) {
            Await.until("the poller to notice", SLACK, () -> subscription.connectedCount() == 0);
        }
    }

    private void injectTowardsCaller(LiveFault fault) {
        if (mode == Mode.LISTENING) {
            proxy.injectIntoNextServerBytes(fault);
        } else {
            proxy.injectIntoNextClientBytes(fault);
        }
    }

    private void injectTowardsServiceHost(LiveFault fault) {
        if (mode == Mode.LISTENING) {
            proxy.injectIntoNextClientBytes(fault);
        } else {
            proxy.injectIntoNextServerBytes(fault);
        }
    }
}
