package dev.halibut.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Listener nodes in separate JVMs, killed (SIGKILL) while they hold requests. */
@Timeout(120)
class NodeKillTest {

    /** A new thread per blocking task: CompletableFuture's default executor is, from JDK 19 on, the common
     *  ForkJoinPool even with one worker (two cores), where a blocked task holds up the others. */
    private static final java.util.concurrent.Executor OWN_THREAD = task -> {
        Thread t = new Thread(task, "test-task");
        t.setDaemon(true);
        t.start();
    };

    static final CertificateAndKey NODE_A = Certificates.generateSelfSigned("node-a");
    static final CertificateAndKey TENTACLE = Certificates.generateSelfSigned("tentacle");
    static final URI SUB = URI.create("poll://killed/");

    @RegisterExtension
    static final RedisServer redis = RedisServer.forTestClass();
    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            NodeProcess.kill(p);
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Process child(String... args) throws Exception {
        Process p = NodeProcess.start(args);
        processes.add(p);
        return p;
    }

    @Test
    void requestsQueuedByAKilledNodeAreWithdrawnOnceItsHeartbeatStopsAndNeverRun() throws Exception {
        String tp = Thumbprints.of(TENTACLE.certificate());
        Process caller = child("enqueue", redis.uri().toString(), SUB.toString(), tp, "orphan-1");
        String nodeId = NodeProcess.firstLine(caller).split(" ")[1];
        RedisPendingRequestQueue nodeB = RedisPendingRequestQueue.connect(redis.uri(), RedisPendingRequestQueueTest.FAST);
        closeables.add(nodeB);
        assertThat(nodeB.queuedCount(SUB)).isEqualTo(1);

        NodeProcess.kill(caller);
        long killed = System.nanoTime();
        try (var j = redis.client()) {
            SharedQueueRuntimesTest.await("the killed node's heartbeat to expire", () -> !j.exists("halibut:n:" + nodeId));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - killed))
                .as("the heartbeat lives nodeTimeout after the last beat").isLessThan(Duration.ofSeconds(5));
        assertThat(nodeB.take(SUB, tp, Duration.ofMillis(200))).as("never handed out after its node died").isNull();
        try (var j = redis.client()) {
            assertThat(j.hget("halibut:r:orphan-1", "outcome")).isEqualTo("WITHDRAWN");
        }
    }

    @Test
    void aListenerNodeKilledMidCallFailsTheCallerWithinTheNodeTimeoutNotTheResponseTimeout() throws Exception {
        EchoService service = new EchoService("t");
        HalibutRuntime tentacle = HalibutRuntime.builder().certificate(TENTACLE.certificate(), TENTACLE.privateKey())
                .service(Echo.class, service).build();
        closeables.add(tentacle);
        closeables.add(service.release::countDown);

        Process nodeB = child("listen", redis.uri().toString(), tentacle.thumbprint());
        String[] words = NodeProcess.firstLine(nodeB).split(" ");
        PollingSubscription sub = tentacle.poll(SUB, new ServiceEndPoint(URI.create("https://localhost:" + words[1] + "/"),
                words[2]));
        SharedQueueRuntimesTest.await("the tentacle to poll node B", () -> sub.connectedCount() == 1);

        HalibutRuntime nodeA = HalibutRuntime.builder().certificate(NODE_A.certificate(), NODE_A.privateKey())
                .pendingRequestQueue(RedisPendingRequestQueue.connect(redis.uri(), RedisPendingRequestQueueTest.FAST))
                .timeouts(HalibutLimits.defaults().withResponseTimeout(Duration.ofMinutes(10))).build();
        closeables.add(nodeA);
        Echo echo = nodeA.createClient(Echo.class, new ServiceEndPoint(SUB, tentacle.thumbprint()));
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> echo.slow("mid-call"), OWN_THREAD);
        assertThat(service.slowEntered.await(30, TimeUnit.SECONDS)).as("the call reached the service").isTrue();

        NodeProcess.kill(nodeB);
        assertThatThrownBy(() -> call.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("stopped heartbeating").hasMessageContaining("may have run");
    }
}
