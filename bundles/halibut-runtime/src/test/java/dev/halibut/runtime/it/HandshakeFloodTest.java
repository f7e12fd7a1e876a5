package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Identification;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Floods of connections that never become calls, from the trusted caller's own address (loopback), do not
 * keep the trusted caller out, and connections that never start their TLS handshake hold no thread each.
 */
class HandshakeFloodTest {

    private final CalculatorService service = new CalculatorService();
    private LogCapture log;
    private UnpooledCallerAndHost peers;

    @BeforeEach
    void start() {
        log = LogCapture.start();
        // No pooling: every trusted call opens a new connection, which goes through the throttle.
        peers = new UnpooledCallerAndHost(HalibutLimits.defaults(), service);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            peers.close();
            ThreadLeaks.assertNoHalibutThreads();
        } finally {
            log.close();
        }
    }

    private Calculator trustedClient() {
        return peers.trustedClient();
    }

    /**
     * 32 threads keep making failing handshakes (untrusted certificates, or not TLS at all) from the trusted
     * caller's address, more connections waiting at once than the default burst of 20, at least 300 in all: every trusted call made meanwhile, each on a
     * new connection that waits its paced turn like the attacker's, succeeds.
     */
    @Test
    void everyTrustedCallSucceedsDuringAFloodOfUntrustedHandshakesFromItsAddress() throws Exception {
        int attempts = 300;
        int attackers = 32;
        int trustedCalls = 5;
        Calculator calc = trustedClient();
        SSLSocketFactory stranger = new TlsContextFactory(TestIdentities.STRANGER.certificate(),
                TestIdentities.STRANGER.privateKey()).clientContext(peers.tentacle.thumbprint()).getSocketFactory();
        AtomicInteger made = new AtomicInteger();
        AtomicBoolean floodOver = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(attackers + 1);
        try {
            List<Future<?>> flood = new ArrayList<>();
            for (int t = 0; t < attackers; t++) {
                flood.add(pool.submit(() -> {
                    while (!floodOver.get()) {
                        untrustedAttempt(made.getAndIncrement(), stranger);
                    }
                    return null;
                }));
            }
            Future<Integer> trusted = pool.submit(() -> {
                int calls = 0;
                try {
                    while (calls < trustedCalls || made.get() < attempts) {
                        calls++;
                        assertThat(calc.add(calls, 1000)).isEqualTo(calls + 1000); // throws if the call fails
                    }
                } finally {
                    floodOver.set(true);
                }
                return calls;
            });
            int calls = trusted.get(180, TimeUnit.SECONDS);
            for (Future<?> f : flood) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(made.get()).isGreaterThanOrEqualTo(attempts);
            assertThat(log.linesContaining("Throttling connections from 127.0.0.1")).as("the flood was throttled")
                    .isNotEmpty();
            assertThat(service.invocations).hasValue(calls);
        } finally {
            floodOver.set(true);
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** 200 connections that never send a ClientHello: no thread each, and a trusted call still succeeds. */
    @Test
    void connectionsThatNeverStartTheirHandshakeHoldNoThreadEach() throws Exception {
        int stalled = 200;
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < stalled; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), peers.port), 10_000);
                sockets.add(s);
            }
            // Accepted in order: the listener has taken all 200 from its backlog by the time this call is served.
            assertThat(trustedClient().add(2, 3)).isEqualTo(5);
            int grown = ManagementFactory.getThreadMXBean().getThreadCount() - threadsBefore;
            assertThat(grown).as("threads added while %d connections wait for their handshakes", stalled)
                    .isLessThan(stalled / 4);
            for (Socket s : sockets) {
                assertThat(s.isClosed()).isFalse();
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(trustedClient().add(4, 5)).isEqualTo(9);
    }

    /**
     * One attempt that fails before it is served: a TLS handshake with a certificate the listener does not trust
     * (even attempts), or bytes that are not TLS at all (odd ones, which fail at once and so keep the paced queue
     * as full as an attacker can).
     */
    private void untrustedAttempt(int n, SSLSocketFactory stranger) {
        try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), peers.port)) {
            raw.setSoTimeout(30_000);
            if (n % 2 == 1) {
                raw.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                while (raw.getInputStream().read() >= 0) {
                    // until the listener closes it
                }
                return;
            }
            try (SSLSocket s = (SSLSocket) stranger.createSocket(raw, "localhost", peers.port, true)) {
                s.setUseClientMode(true);
                s.startHandshake();
                Identification.client().writeTo(s.getOutputStream());
                s.getInputStream().read();
            }
        } catch (IOException expected) {
            // refused
        }
    }
}
