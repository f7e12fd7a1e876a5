package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Identification;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * Trusted peers that announce large messages and then stall cannot take the host's memory: a message's
 * memory grows as its bytes arrive, and what incomplete messages hold in all is bounded by
 * {@code incompleteMessageBudget}. Surefire runs this class alone in a JVM with {@code -Xmx64m} (see the
 * runtime pom), where reserving each announced length up front, or letting every half-sent message grow
 * without a budget, ends in OutOfMemoryError.
 */
class StalledLargeMessagesMemoryTest {

    private static final int ANNOUNCED = 16 * 1024 * 1024 - 64;
    private static final int HEADER_ONLY_PEERS = 15;
    private static final int HALF_SENDING_PEERS = 4;
    private static final int HALF = 12 * 1024 * 1024;

    @Test
    void runsWithASmallHeap() {
        long max = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
        assertThat(max).as("this test must run with -Xmx64m").isLessThanOrEqualTo(64L * 1024 * 1024);
    }

    @Test
    void peersThatAnnounceLargeMessagesAndStallNeitherExhaustTheHeapNorStopTheService() throws Exception {
        ConcurrentLinkedQueue<Throwable> uncaught = new ConcurrentLinkedQueue<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        List<Socket> peers = new ArrayList<>();
        ExecutorService senders = Executors.newFixedThreadPool(HALF_SENDING_PEERS);
        CalculatorService service = new CalculatorService();
        try (HalibutRuntime octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
             HalibutRuntime tentacle = HalibutRuntime.builder()
                     .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                     .timeouts(HalibutLimits.defaults().withIncompleteMessageBudget(20L * 1024 * 1024)
                             .withServerIdleTimeout(Duration.ofSeconds(10)))
                     .service(Calculator.class, service).trust(octopus.thumbprint()).build()) {
            int port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            TlsContextFactory trustedPeer = new TlsContextFactory(TestIdentities.OCTOPUS.certificate(),
                    TestIdentities.OCTOPUS.privateKey());

            // Fifteen announce a REQUEST just under the limit and send nothing more.
            for (int i = 0; i < HEADER_ONLY_PEERS; i++) {
                SSLSocket s = identified(trustedPeer, tentacle.thumbprint(), port);
                peers.add(s);
                s.getOutputStream().write(header(ANNOUNCED));
                s.getOutputStream().flush();
            }
            // Four send 12 MiB of such a message and then stall: unbounded, their buffers alone would be 64 MiB.
            CountDownLatch aHalfWasWritten = new CountDownLatch(1);
            for (int i = 0; i < HALF_SENDING_PEERS; i++) {
                SSLSocket s = identified(trustedPeer, tentacle.thumbprint(), port);
                peers.add(s);
                senders.submit(() -> {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(header(ANNOUNCED));
                        byte[] chunk = new byte[64 * 1024];
                        for (int sent = 0; sent < HALF; sent += chunk.length) {
                            out.write(chunk);
                        }
                        out.flush();
                        aHalfWasWritten.countDown();
                    } catch (IOException e) {
                        // the host closed it (over budget for too long) or the test ended: both fine
                    }
                    return null;
                });
            }
            // The host has read at least one whole half message: large messages are being received.
            assertThat(aHalfWasWritten.await(60, TimeUnit.SECONDS)).as("a half message was written within 60 s").isTrue();

            Calculator calc = octopus.createClient(Calculator.class,
                    new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
            assertThat(calc.add(20, 22)).isEqualTo(42);
            assertThat(service.invocations).hasValue(1);
        } finally {
            for (Socket s : peers) {
                s.close();
            }
            senders.shutdownNow();
            assertThat(senders.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        assertThat(uncaught).as("no thread died, and none of OutOfMemoryError").isEmpty();
        ThreadLeaks.assertNoHalibutThreads();
    }

    private static SSLSocket identified(TlsContextFactory identity, String serverThumbprint, int port) throws Exception {
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), port);
        raw.setSoTimeout(30_000);
        SSLSocket s = (SSLSocket) identity.clientContext(serverThumbprint).getSocketFactory()
                .createSocket(raw, "localhost", port, true);
        s.setUseClientMode(true);
        s.startHandshake();
        Identification.client().writeTo(s.getOutputStream());
        assertThat(Identification.readFrom(s.getInputStream()).role()).isEqualTo(Identification.Role.SERVER);
        return s;
    }

    private static byte[] header(int length) {
        return new byte[] {0x01, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }
}
