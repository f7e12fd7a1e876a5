package dev.halibut.queue.redis;

import dev.halibut.HalibutLimits;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.EncodedMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A listener node in its own JVM, for tests that kill a node: it prints one line saying what it did and then
 * lives until its standard input closes (the parent died) or it is killed.
 *
 * <ul>
 *   <li>{@code enqueue <redisUri> <subscription> <thumbprint> <requestId>}: queues one request and prints
 *       {@code QUEUED <nodeId>};</li>
 *   <li>{@code listen <redisUri> <trustedThumbprint>}: a runtime on the Redis queue listening on loopback, prints
 *       {@code LISTENING <port> <thumbprint>}.</li>
 * </ul>
 */
public final class NodeProcess {

    private NodeProcess() {
    }

    public static void main(String[] args) throws Exception {
        URI redis = URI.create(args[1]);
        switch (args[0]) {
            case "enqueue" -> {
                RedisPendingRequestQueue queue = RedisPendingRequestQueue.connect(redis, RedisPendingRequestQueueTest.FAST);
                queue.enqueue(URI.create(args[2]), args[3], args[4],
                        EncodedMessage.withoutStreams("orphan".getBytes(StandardCharsets.UTF_8)), Duration.ofMinutes(5));
                System.out.println("QUEUED " + queue.nodeId());
            }
            case "listen" -> {
                CertificateAndKey identity = Certificates.generateSelfSigned("killed-node");
                HalibutRuntime runtime = HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey())
                        .pendingRequestQueue(RedisPendingRequestQueue.connect(redis, RedisPendingRequestQueueTest.FAST))
                        .timeouts(HalibutLimits.defaults().withResponseTimeout(Duration.ofMinutes(10)))
                        .trust(args[2]).build();
                int port = runtime.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                System.out.println("LISTENING " + port + " " + runtime.thumbprint());
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.flush();
        while (System.in.read() >= 0) {
            // live until the parent closes our stdin or kills us
        }
        System.exit(0);
    }

    /** Starts {@code NodeProcess} in a child JVM with this JVM's class path. */
    static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                NodeProcess.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Reads the child's first line (bounded by the caller's test timeout). */
    static String firstLine(Process p) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = p.getInputStream().read()) >= 0 && c != '\n'; ) {
            sb.append((char) c);
        }
        if (sb.length() == 0) {
            throw new IOException("the node process ended without a word (exit " + (p.isAlive() ? "n/a" : p.exitValue()) + ")");
        }
        return sb.toString().trim();
    }

    /** Kills the child at once (SIGKILL) and waits for it. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }
}
