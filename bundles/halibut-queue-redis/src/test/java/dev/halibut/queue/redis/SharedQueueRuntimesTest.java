package dev.halibut.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Listening runtimes (nodes) sharing one Redis queue, built with the public API only: a caller on one node
 * reaches a service host that polls another.
 */
class SharedQueueRuntimesTest {

    static final CertificateAndKey NODE_A = Certificates.generateSelfSigned("node-a");
    static final CertificateAndKey NODE_B = Certificates.generateSelfSigned("node-b");
    static final CertificateAndKey NODE_C = Certificates.generateSelfSigned("node-c");
    static final CertificateAndKey TENTACLE_1 = Certificates.generateSelfSigned("tentacle-1");
    static final CertificateAndKey TENTACLE_2 = Certificates.generateSelfSigned("tentacle-2");
    static final URI SUB_1 = URI.create("poll://tentacle-1/");
    static final URI SUB_2 = URI.create("poll://tentacle-2/");

    @RegisterExtension
    static final RedisServer redis = RedisServer.emptiedBeforeEachTest();

    private final List<HalibutRuntime> runtimes = new ArrayList<>();
    private final EchoService service1 = new EchoService("t1");
    private final EchoService service2 = new EchoService("t2");
    private HalibutRuntime nodeA;
    private HalibutRuntime nodeB;
    private HalibutRuntime nodeC;
    private HalibutRuntime tentacle1;
    private HalibutRuntime tentacle2;

    @BeforeEach
    void start() {
        nodeA = node(NODE_A);
        nodeB = node(NODE_B);
        nodeC = node(NODE_C);
        tentacle1 = track(HalibutRuntime.builder().certificate(TENTACLE_1.certificate(), TENTACLE_1.privateKey())
                .service(Echo.class, service1).build());
        tentacle2 = track(HalibutRuntime.builder().certificate(TENTACLE_2.certificate(), TENTACLE_2.privateKey())
                .service(Echo.class, service2).build());
        for (HalibutRuntime n : List.of(nodeA, nodeB, nodeC)) {
            n.trust(tentacle1.thumbprint());
            n.trust(tentacle2.thumbprint());
        }
        // tentacle 1 polls node B, tentacle 2 polls node A
        await("pollers connected", connected(tentacle1.poll(SUB_1, listenerOf(nodeB), 2), 2));
        await("pollers connected", connected(tentacle2.poll(SUB_2, listenerOf(nodeA), 2), 2));
    }

    @AfterEach
    void stop() {
        for (int i = runtimes.size() - 1; i >= 0; i--) {
            runtimes.get(i).close();
        }
        service1.release.countDown();
        service2.release.countDown();
    }

    private HalibutRuntime track(HalibutRuntime r) {
        runtimes.add(r);
        return r;
    }

    private HalibutRuntime node(CertificateAndKey identity) {
        HalibutRuntime r = track(HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey())
                .pendingRequestQueue(RedisPendingRequestQueue.connect(redis.uri(), RedisPendingRequestQueueTest.FAST))
                .timeouts(HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofSeconds(10)))
                .build());
        r.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return r;
    }

    private static ServiceEndPoint listenerOf(HalibutRuntime node) {
        int port = node.status().listening().get(0).getPort();
        return new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), node.thumbprint());
    }

    private static BooleanSupplier connected(PollingSubscription s, int n) {
        return () -> s.connectedCount() == n;
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(10).toNanos()); // poll interval
        }
    }

    private Echo client(HalibutRuntime caller, URI subscription, HalibutRuntime tentacle) {
        return caller.createClient(Echo.class, new ServiceEndPoint(subscription, tentacle.thumbprint()));
    }

    @Test
    void callsCrossNodesInBothDirections() {
        assertThat(client(nodeA, SUB_1, tentacle1).echo("a to t1 via b")).isEqualTo("t1:a to t1 via b");
        assertThat(client(nodeB, SUB_2, tentacle2).echo("b to t2 via a")).isEqualTo("t2:b to t2 via a");
        assertThat(client(nodeC, SUB_1, tentacle1).echo("c to t1 via b")).isEqualTo("t1:c to t1 via b");
        assertThat(client(nodeC, SUB_2, tentacle2).echo("c to t2 via a")).isEqualTo("t2:c to t2 via a");
    }

    @Test
    void concurrentCallsFromThreeNodesEachRunOnce() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(24);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                HalibutRuntime caller = List.of(nodeA, nodeB, nodeC).get(i % 3);
                Echo echo = client(caller, SUB_1, tentacle1);
                String text = "call-" + i;
                results.add(callers.submit(() -> echo.echo(text)));
            }
            for (int i = 0; i < 300; i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("t1:call-" + i);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(service1.runs).hasSize(300);
        assertThat(service1.runs.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
    }

    @Test
    void streamsCrossNodesBothWays() throws Exception {
        Echo echo = client(nodeA, SUB_1, tentacle1);
        int size = 3 * 1024 * 1024 + 17;
        assertThat(echo.count(DataStream.fromWriter(size, out -> {
            byte[] chunk = new byte[65536];
            for (int left = size; left > 0; left -= chunk.length) {
                out.write(chunk, 0, Math.min(left, chunk.length));
            }
        }))).isEqualTo(size);
        DataStream result = echo.repeat((byte) 7, 1_000_000);
        assertThat(result.length()).isEqualTo(1_000_000);
        long sevens = 0;
        try (InputStream in = result.openStream()) {
            for (int b; (b = in.read()) >= 0; ) {
                if (b == 7) {
                    sevens++;
                }
            }
        }
        assertThat(sevens).isEqualTo(1_000_000);
    }

    @Test
    void aRequestNobodyCollectsFailsAsNotCollected() {
        Echo nobody = nodeA.createClient(Echo.class, new ServiceEndPoint(URI.create("poll://nobody/"), tentacle1.thumbprint(),
                HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofMillis(300))));
        assertThatThrownBy(() -> nobody.echo("x")).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("not collected").hasMessageContaining("Redis at");
    }

    @Test
    void aRequestOnlyGoesToAServiceHostPresentingTheExpectedThumbprint() {
        // tentacle 1 polls node B for SUB_1, but this caller expects tentacle 2's certificate there
        Echo impostorExpected = nodeA.createClient(Echo.class, new ServiceEndPoint(SUB_1, tentacle2.thumbprint(),
                HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofMillis(500))));
        assertThatThrownBy(() -> impostorExpected.echo("for t2 only")).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("not collected").hasMessageContaining(tentacle2.thumbprint());
        assertThat(service1.runs).doesNotContainKey("for t2 only");
    }

    @Test
    void aCallerInterruptedWhileQueuedWithdrawsTheRequestFromEveryNode() throws Exception {
        URI later = URI.create("poll://later/");
        Echo echo = nodeA.createClient(Echo.class, new ServiceEndPoint(later, tentacle1.thumbprint()));
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                echo.echo("withdrawn");
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        caller.start();
        try (var j = redis.client()) {
            await("the request to be queued in Redis", () -> j.llen("halibut:q:later:" + tentacle1.thumbprint()) == 1);
        }
        caller.interrupt();
        caller.join(30_000);
        assertThat(failure.get()).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("withdrawn").hasMessageContaining("never run");
        // a service host that starts polling for it on another node afterwards never gets it
        PollingSubscription s = tentacle1.poll(later, listenerOf(nodeB));
        await("the late poller connected", connected(s, 1));
        assertThat(client(nodeC, later, tentacle1).echo("fresh")).isEqualTo("t1:fresh");
        assertThat(service1.runs).doesNotContainKey("withdrawn");
    }

    @Test
    void idleSubscriberConnectionsOnARedisBackedListenerHoldNoWorkerThreadEach() {
        URI many = URI.create("poll://many/");
        PollingSubscription s = tentacle1.poll(many, listenerOf(nodeB), 100);
        await("100 subscriber connections for " + many, connected(s, 100));
        // With a blocked take per waiting subscriber (the SPI's default takeAsync) the listeners of this test would
        // hold a worker for each of their 104 subscriber connections; the Redis queue's takers wait without one.
        assertThat(listenerWorkerThreads()).as("listener worker threads with 104 idle subscriber connections")
                .isLessThan(40);
        assertThat(client(nodeA, many, tentacle1).echo("to one of 100")).isEqualTo("t1:to one of 100");
        assertThat(client(nodeC, SUB_1, tentacle1).echo("still served")).isEqualTo("t1:still served");
    }

    private static long listenerWorkerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("halibut-listener-") && t.getName().contains("-worker-"))
                .count();
    }

    @Test
    void redisRestartedMidRunFailsCallsClearlyAndTheyWorkAgainOnceItIsBack() throws Exception {
        Echo echo = client(nodeA, SUB_1, tentacle1);
        assertThat(echo.echo("before")).isEqualTo("t1:before");
        redis.kill();
        assertThatThrownBy(() -> echo.echo("while down")).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Redis at 127.0.0.1:" + redis.port());
        redis.start();
        // The first calls after the restart succeed: stale pooled connections are dropped, lapsed heartbeats
        // re-announced, and the subscriber connections collect again.
        assertThat(echo.echo("after")).isEqualTo("t1:after");
        assertThat(client(nodeB, SUB_2, tentacle2).echo("after, other way")).isEqualTo("t2:after, other way");
        assertThat(service1.runs).doesNotContainKey("while down");
    }
}
