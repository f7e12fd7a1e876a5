package dev.halibut.itests;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.queue.redis.RedisPendingRequestQueue;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Feature {@code halibut-redis} and PID {@code dev.halibut.queue.redis}: once configured, the framework's
 * runtime is rebuilt on the Redis queue, so its caller reaches a service host that polls another node (a
 * plain-Java runtime on the same Redis); without the configuration it is back on the in-memory queue.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RedisQueueIT extends HalibutTestSupport {

    private static final String REDIS_PID = "dev.halibut.queue.redis";
    private static final URI SUBSCRIPTION = URI.create("poll://redis-it/");

    private Process redis;
    private URI redisUri;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @Override
    protected List<String> additionalBootFeatures() {
        return List.of("halibut-redis");
    }

    @Before
    public void startRedis() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--save", "", "--appendonly", "no",
                "--bind", "127.0.0.1").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        redisUri = URI.create("redis://127.0.0.1:" + port);
        Await.until("redis-server on port " + port + " to answer PING", () -> "+PONG".equals(redisCommand("PING")));
    }

    @After
    public void stopEverything() throws Exception {
        org.osgi.service.cm.Configuration c = configurationAdmin.getConfiguration(REDIS_PID, ANY_LOCATION);
        if (c.getProperties() != null) {
            c.delete();
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (redis != null) {
            redis.destroyForcibly();
            redis.waitFor();
        }
    }

    /** One inline command to Redis; the first line of its reply, or null if it does not answer. */
    private String redisCommand(String inline) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), redisUri.getPort())) {
            s.getOutputStream().write((inline + "\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder line = new StringBuilder();
            for (int c; (c = s.getInputStream().read()) >= 0 && c != '\r'; ) {
                line.append((char) c);
            }
            return line.toString();
        } catch (IOException e) {
            return null;
        }
    }

    @Test
    public void theRuntimeUsesTheRedisQueueWhileItIsConfiguredAndReachesAServiceHostPollingAnotherNode() throws Exception {
        RuntimeState inMemory = awaitRuntime("the Halibut runtime", s -> true);

        CertificateAndKey tentacleId = Certificates.generateSelfSigned("tentacle");
        CertificateAndKey nodeBId = Certificates.generateSelfSigned("node-b");
        HalibutRuntime tentacle = HalibutRuntime.builder().certificate(tentacleId.certificate(), tentacleId.privateKey())
                .service(Calculator.class, new Calculator() {
                    @Override
                    public int add(int a, int b) {
                        return a + b;
                    }

                    @Override
                    public int divide(int a, int b) {
                        return a / b;
                    }
                }).build();
        closeables.add(tentacle);
        HalibutRuntime nodeB = HalibutRuntime.builder().certificate(nodeBId.certificate(), nodeBId.privateKey())
                .pendingRequestQueue(RedisPendingRequestQueue.connect(redisUri)).trust(tentacle.thumbprint()).build();
        closeables.add(0, nodeB); // closed after the tentacle
        int port = nodeB.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tentacle.poll(SUBSCRIPTION, new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), nodeB.thumbprint()));

        configurationAdmin.getConfiguration(REDIS_PID, ANY_LOCATION).update(properties("uri", redisUri.toString(),
                "heartbeat.interval", "200ms", "node.timeout", "1s"));
        RuntimeState onRedis = awaitRuntime("the runtime rebuilt on the Redis queue",
                s -> s.serviceId() != inMemory.serviceId());
        Calculator calculator = onRedis.runtime().createClient(Calculator.class,
                new ServiceEndPoint(SUBSCRIPTION, tentacle.thumbprint()));
        AtomicReference<RuntimeException> last = new AtomicReference<>();
        Await.until(() -> "a call from the framework's runtime through Redis to the host polling node B; last failure: "
                + last.get(), () -> {
                    try {
                        return calculator.add(1, 2) == 3;
                    } catch (HalibutClientException e) {
                        last.set(e);
                        return false;
                    }
                });
        String keys = redisCommand("DBSIZE");
        assertTrue("Redis holds the queue's keys: " + keys, keys != null && !":0".equals(keys));

        configurationAdmin.getConfiguration(REDIS_PID, ANY_LOCATION).delete();
        RuntimeState backInMemory = awaitRuntime("the runtime rebuilt on the in-memory queue",
                s -> s.serviceId() != onRedis.serviceId() && s.serviceId() != inMemory.serviceId());
        Calculator local = backInMemory.runtime().createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION,
                tentacle.thumbprint(), HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofMillis(500))));
        try {
            int sum = local.add(1, 2);
            fail("the in-memory queue is not shared with node B, yet the call returned " + sum);
        } catch (HalibutClientException e) {
            assertTrue("not collected: " + e.getMessage(), e.getMessage().contains("not collected"));
        }
    }
}
