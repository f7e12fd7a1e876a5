package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Callers this runtime does not trust never reach service code, whatever they send after the handshake,
 * and an address that keeps failing is throttled (protocol.md, section 1, "Failed handshakes") while trusted
 * callers from the same loopback address still get through.
 */
class UntrustedCallersTest {

    private static final int BURST = 20;
    /**
     * Paces a throttled address to 100 handshakes a second. Eight attacker threads on this machine (2 cores)
     * fail about 160 times a second unthrottled, so the throttle engages; on a machine too slow to reach 100 a
     * second it would not need to, and the rate bound the test checks holds either way.
     */
    private static final Duration INTERVAL = Duration.ofMillis(10);

    private final CalculatorService service = new CalculatorService();
    private LogCapture log;
    private long socketsBefore;
    private UnpooledCallerAndHost peers;

    @BeforeEach
    void start() {
        socketsBefore = SocketLeaks.openSockets();
        log = LogCapture.start();
        // No pooling: every trusted call opens a new connection, so each goes through the throttle too.
        peers = new UnpooledCallerAndHost(HalibutLimits.defaults().withFailedHandshakeBurst(BURST)
                .withFailedHandshakeInterval(INTERVAL).withHandshakeTimeout(Duration.ofSeconds(10)), service);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            peers.close();
            ThreadLeaks.assertNoHalibutThreads();
            SocketLeaks.assertBackTo(socketsBefore, Duration.ofSeconds(10));
        } finally {
            log.close();
        }
    }

    private Calculator trustedClient() {
        return peers.trustedClient();
    }

    @Test
    void aCallerWithAnUntrustedCertificateNeverReachesServiceCode() throws Exception {
        try (HalibutRuntime stranger = HalibutRuntime.builder()
                .certificate(TestIdentities.STRANGER.certificate(), TestIdentities.STRANGER.privateKey()).build()) {
            Calculator calc = stranger.createClient(Calculator.class,
                    new ServiceEndPoint(URI.create("https://localhost:" + peers.port + "/"), peers.tentacle.thumbprint()));
            assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("rejected our certificate").hasMessageContaining(stranger.thumbprint());
        }
        // A hand-made client that ignores the rejection and sends a well-formed request anyway.
        assertRequestIsNeverServed(TestIdentities.STRANGER);
        log.await(Duration.ofSeconds(10), "Refusing connection from", "TLS handshake failed",
                TestIdentities.STRANGER.certificate().getSubjectX500Principal().getName());
        assertThat(service.invocations).hasValue(0);
        assertThat(trustedClient().add(2, 3)).isEqualTo(5);
        assertThat(service.invocations).hasValue(1);
    }

    @Test
    void aCallerWithoutACertificateNeverReachesServiceCode() throws Exception {
        assertRequestIsNeverServed(null);
        log.await(Duration.ofSeconds(10), "Refusing connection from", "TLS handshake failed");
        assertThat(service.invocations).hasValue(0);
        assertThat(trustedClient().add(2, 3)).isEqualTo(5);
        assertThat(service.invocations).hasValue(1);
    }

    @Test
    void aThousandRapidUntrustedAttemptsAreThrottledWhileTrustedCallsFromTheSameAddressSucceed() throws Exception {
        int attempts = 1000;
        int attackers = 8;
        Calculator calc = trustedClient();
        assertThat(calc.add(0, 0)).isZero();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean attackOver = new AtomicBoolean();
        AtomicLong attackEnded = new AtomicLong(Long.MAX_VALUE);
        ExecutorService pool = Executors.newFixedThreadPool(attackers + 1);
        try {
            long attackStart = System.nanoTime();
            List<Future<?>> attack = new ArrayList<>();
            for (int t = 0; t < attackers; t++) {
                attack.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < attempts; ) {
                        untrustedAttempt(i % 2 == 0 ? TestIdentities.STRANGER : null);
                    }
                    return null;
                }));
            }
            // Trusted calls all through the attack, one per 50 attempts (so they do not slow the attack down):
            // each opens a new connection, which waits its paced turn like the attacker's.
            Future<List<Long>> trusted = pool.submit(() -> {
                List<Long> finishedAt = new ArrayList<>();
                int n = 1;
                do {
                    assertThat(calc.add(n, 1000)).isEqualTo(n + 1000);
                    finishedAt.add(System.nanoTime());
                    int due = n * 50;
                    n++;
                    while (next.get() < due && !attackOver.get()) {
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // waits for the attack's progress
                    }
                } while (!attackOver.get());
                return finishedAt;
            });
            for (Future<?> f : attack) {
                f.get(120, TimeUnit.SECONDS);
            }
            attackEnded.set(System.nanoTime());
            attackOver.set(true);
            long attackNanos = attackEnded.get() - attackStart;
            List<Long> trustedDuringAttack = trusted.get(60, TimeUnit.SECONDS);

            assertThat(trustedDuringAttack).as("trusted calls finished while the attack went on")
                    .anySatisfy(at -> assertThat(at).isLessThan(attackEnded.get()));
            // Nothing untrusted ran: every invocation is one of ours.
            assertThat(service.invocations).hasValue(1 + trustedDuringAttack.size());

            // Rate-limited: the failures an address may have add up to at most its burst, plus one per interval
            // of the time elapsed, plus what it may overdraw (another burst); attempts still under way when the
            // last one ended are not counted yet. So, however fast the attackers are, the attempts cannot
            // outrun this (without the throttle this machine runs them in about 6 s):
            int episodes = log.linesContaining("Throttling connections from 127.0.0.1").size();
            long fullRefusals = log.linesContaining("Refusing connection from /127.0.0.1").size();
            System.out.printf("%d untrusted attempts in %d ms, %d throttling episode(s), %d refusals logged in full,"
                    + " %d trusted calls meanwhile%n", attempts, TimeUnit.NANOSECONDS.toMillis(attackNanos), episodes,
                    fullRefusals, trustedDuringAttack.size());
            assertThat(attackNanos).as("%d attempts in %d throttling episode(s)", attempts, episodes)
                    .isGreaterThanOrEqualTo((attempts - 2L * BURST - attackers - 1) * INTERVAL.toNanos());
            // ...and while it is throttled its failures are logged in summary, not one line each.
            if (episodes > 0) {
                assertThat(fullRefusals).isLessThan(attempts);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        // After the attack: the address recovers (its next connection after the bucket refilled says how much
        // it did not log one by one), and trusted calls go on.
        if (!log.linesContaining("Throttling connections from 127.0.0.1").isEmpty()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (log.linesContaining("Connections from 127.0.0.1 are no longer throttled").isEmpty()) {
                assertThat(System.nanoTime()).as("throttling ended within 30 s").isLessThan(deadline);
                assertThat(calc.add(7, 8)).isEqualTo(15);
            }
            assertThat(log.linesContaining("Connections from 127.0.0.1 are no longer throttled").get(0))
                    .containsPattern("\\d+ failed or refused while throttled");
        }
        assertThat(calc.add(1, 1)).isEqualTo(2);
        System.out.printf("recovered %d ms after the attack%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - attackEnded.get()));
    }

    /**
     * Connects with {@code identity} (null: no certificate at all), and if the TLS 1.3 handshake looks done
     * from the client's side (the server's verdict on the client certificate comes after that), identifies
     * and sends a well-formed request frame. The listener must close the connection without serving it.
     */
    private void assertRequestIsNeverServed(CertificateAndKey identity) throws Exception {
        try (SSLSocket s = tlsSocket(identity)) {
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            Identification.client().writeTo(out);
            out.write(requestFrame());
            out.flush();
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // drain until the listener closes
            }
        } catch (IOException expected) {
            // the handshake failed or the listener reset the connection: refused either way
        }
    }

    /** One hostile attempt; every way it can end is acceptable except being served. */
    private void untrustedAttempt(CertificateAndKey identity) {
        try (SSLSocket s = tlsSocket(identity)) {
            s.startHandshake();
            Identification.client().writeTo(s.getOutputStream());
            s.getInputStream().read();
        } catch (IOException expected) {
            // refused
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private SSLSocket tlsSocket(CertificateAndKey identity) throws Exception {
        SSLContext context;
        if (identity != null) {
            context = new TlsContextFactory(identity.certificate(), identity.privateKey())
                    .clientContext(peers.tentacle.thumbprint());
        } else {
            context = TestTls.presentingNothing();
        }
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), peers.port);
        raw.setSoTimeout(20_000);
        raw.setTcpNoDelay(true);
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw, "localhost", peers.port, true);
        s.setUseClientMode(true);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        return s;
    }

    private static byte[] requestFrame() throws IOException {
        byte[] bson = new MessageCodec().encodeRequest("untrusted-1", "Calculator", "add",
                new Type[] {int.class, int.class}, new Object[] {40, 2}).bson();
        byte[] payload;
        try (Compressor c = new Compressor()) {
            payload = c.compress(bson);
        }
        byte[] f = new byte[5 + payload.length];
        f[0] = 0x01;
        f[1] = (byte) (payload.length >>> 24);
        f[2] = (byte) (payload.length >>> 16);
        f[3] = (byte) (payload.length >>> 8);
        f[4] = (byte) payload.length;
        System.arraycopy(payload, 0, f, 5, payload.length);
        return f;
    }
}
