package dev.halibut.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PollingException;
import dev.halibut.polling.PollingException.Reason;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rediss://} against real TLS-only redis-servers whose certificates a private CA issued: trusted
 * through {@link RedisTlsSettings}, the host name verified, and a client certificate where Redis asks for one.
 */
class RedisTlsTest {

    /** Certificate for 127.0.0.1 and localhost. */
    @RegisterExtension
    static final RedisServer redis = RedisServer.tls(false, "IP:127.0.0.1", "DNS:localhost");

    /** Another CA, and a certificate for another host name only. */
    @RegisterExtension
    static final RedisServer otherName = RedisServer.tls(false, "DNS:redis.example");

    /** tls-auth-clients yes. */
    @RegisterExtension
    static final RedisServer mutual = RedisServer.tls(true, "IP:127.0.0.1");

    /** Long enough that a call failing by its collection timeout instead of the TLS failure would time the test out. */
    private static final Duration COLLECTION_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration NO_HANG = Duration.ofSeconds(60);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @TempDir
    Path temp;

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private static RedisQueueSettings trusting(RedisServer server) {
        return RedisPendingRequestQueueTest.FAST.withTls(RedisTlsSettings.trusting(server.caFile()));
    }

    private RedisPendingRequestQueue queue(URI uri, RedisQueueSettings settings) {
        RedisPendingRequestQueue q = RedisPendingRequestQueue.connect(uri, settings);
        closeables.add(q);
        return q;
    }

    private HalibutRuntime node(CertificateAndKey identity, RedisPendingRequestQueue queue) {
        HalibutRuntime r = HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey())
                .pendingRequestQueue(queue)
                .timeouts(HalibutLimits.defaults().withPollingCollectionTimeout(COLLECTION_TIMEOUT))
                .build();
        closeables.remove(queue); // the runtime owns it now
        closeables.add(r);
        r.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return r;
    }

    private static void roundTrip(RedisPendingRequestQueue caller, RedisPendingRequestQueue taker) throws Exception {
        PendingCall call = caller.enqueue(RedisPendingRequestQueueTest.SUB, RedisPendingRequestQueueTest.TP,
                "tls-" + System.nanoTime(), RedisPendingRequestQueueTest.msg("over TLS"), Duration.ofSeconds(30));
        CollectedRequest taken = taker.take(RedisPendingRequestQueueTest.SUB, RedisPendingRequestQueueTest.TP, Duration.ofSeconds(30));
        assertThat(taken).isNotNull();
        assertThat(RedisPendingRequestQueueTest.text(taken.request().bson())).isEqualTo("over TLS");
        assertThat(taken.sending()).isTrue();
        taken.complete(RedisPendingRequestQueueTest.reply("answered over TLS"));
        assertThat(RedisPendingRequestQueueTest.text(call.awaitResponse(Duration.ofSeconds(30)).bson())).isEqualTo("answered over TLS");
    }

    /** What a call through a queue that cannot get through TLS fails with, within {@link #NO_HANG}. */
    private HalibutClientException callFailure(RedisPendingRequestQueue queue) {
        HalibutRuntime caller = node(SharedQueueRuntimesTest.NODE_C, queue);
        Echo echo = caller.createClient(Echo.class, new ServiceEndPoint(SharedQueueRuntimesTest.SUB_1,
                "C".repeat(40)));
        Throwable thrown = assertTimeoutPreemptively(NO_HANG, () -> {
            try {
                echo.echo("never sent");
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertThat(thrown).isInstanceOf(HalibutClientException.class);
        return (HalibutClientException) thrown;
    }

    @Test
    void aCallThroughTwoRuntimesSharingTheQueueOverRedissSucceeds() {
        HalibutRuntime nodeA = node(SharedQueueRuntimesTest.NODE_A, queue(redis.uri("127.0.0.1"), trusting(redis)));
        HalibutRuntime nodeB = node(SharedQueueRuntimesTest.NODE_B, queue(redis.uri("localhost"), trusting(redis)));
        EchoService service = new EchoService("t1");
        closeables.add(service.release::countDown);
        HalibutRuntime tentacle = HalibutRuntime.builder()
                .certificate(SharedQueueRuntimesTest.TENTACLE_1.certificate(), SharedQueueRuntimesTest.TENTACLE_1.privateKey())
                .service(Echo.class, service).build();
        closeables.add(tentacle);
        nodeA.trust(tentacle.thumbprint());
        nodeB.trust(tentacle.thumbprint());
        var subscription = tentacle.poll(SharedQueueRuntimesTest.SUB_1, new ServiceEndPoint(
                URI.create("https://localhost:" + nodeB.status().listening().get(0).getPort() + "/"), nodeB.thumbprint()), 1);
        SharedQueueRuntimesTest.await("the service host polls node B", () -> subscription.connectedCount() == 1);

        Echo fromA = nodeA.createClient(Echo.class, new ServiceEndPoint(SharedQueueRuntimesTest.SUB_1, tentacle.thumbprint()));
        assertThat(fromA.echo("a to t1 via b over rediss")).isEqualTo("t1:a to t1 via b over rediss");
    }

    @Test
    void aPkcs12TrustStoreWithAPasswordTrustsLikeThePemFile() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream in = Files.newInputStream(redis.caFile())) {
            store.setCertificateEntry("redis-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        Path trustStore = temp.resolve("trust.p12");
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            store.store(out, "trust-pw".toCharArray());
        }
        RedisQueueSettings settings = RedisPendingRequestQueueTest.FAST.withTls(RedisTlsSettings.trusting(trustStore, "trust-pw"));
        roundTrip(queue(redis.uri(), settings), queue(redis.uri(), trusting(redis)));
    }

    @Test
    void anUntrustedServerCertificateFailsCallsNamingRedisAndTlsWithoutHanging() {
        HalibutClientException e = callFailure(queue(redis.uri(), trusting(otherName)));
        assertThat(e).hasMessageContaining("TLS handshake with Redis at 127.0.0.1:" + redis.port() + " (TLS) failed")
                .hasMessageContaining("trust");
    }

    @Test
    void theJvmDefaultTrustDoesNotTrustAPrivateCa() throws Exception {
        RedisPendingRequestQueue q = queue(redis.uri(), RedisPendingRequestQueueTest.FAST);
        PollingException e = RedisPendingRequestQueueTest.failure(q.enqueue(RedisPendingRequestQueueTest.SUB,
                RedisPendingRequestQueueTest.TP, "default-trust", RedisPendingRequestQueueTest.msg("x"), Duration.ofSeconds(30)),
                Duration.ofSeconds(30));
        assertThat(e.reason()).isEqualTo(Reason.QUEUE_UNAVAILABLE);
        assertThat(e).hasMessageContaining("TLS handshake with Redis at 127.0.0.1:" + redis.port());
    }

    @Test
    void aServerCertificateForAnotherHostNameFailsVerification() {
        // trusted CA, but the certificate names redis.example, not 127.0.0.1
        HalibutClientException e = callFailure(queue(otherName.uri("127.0.0.1"), trusting(otherName)));
        assertThat(e).hasMessageContaining("TLS handshake with Redis at 127.0.0.1:" + otherName.port() + " (TLS) failed")
                .hasMessageContaining("127.0.0.1").hasMessageContaining("subject alternative name");
    }

    @Test
    void aRedisRequiringClientCertificatesAcceptsTheConfiguredOneAndRefusesNone() throws Exception {
        RedisQueueSettings withCertificate = RedisPendingRequestQueueTest.FAST.withTls(RedisTlsSettings.trusting(mutual.caFile())
                .withClientCertificate(mutual.clientKeyStore(), mutual.keyStorePassword()));
        roundTrip(queue(mutual.uri(), withCertificate), queue(mutual.uri(), withCertificate));

        RedisPendingRequestQueue without = queue(mutual.uri(), trusting(mutual));
        PollingException e = RedisPendingRequestQueueTest.failure(without.enqueue(RedisPendingRequestQueueTest.SUB,
                RedisPendingRequestQueueTest.TP, "no-client-cert", RedisPendingRequestQueueTest.msg("x"), Duration.ofSeconds(30)),
                Duration.ofSeconds(30));
        assertThat(e.reason()).isEqualTo(Reason.QUEUE_UNAVAILABLE);
        assertThat(e).hasMessageContaining("Redis at 127.0.0.1:" + mutual.port() + " (TLS)")
                .hasMessageContaining("client certificate");
    }

    @Test
    void tlsSettingsForAPlainRedisUriOrAnUnreadableTrustFileAreRefusedAtConnect() {
        assertThatThrownBy(() -> RedisPendingRequestQueue.connect(URI.create("redis://127.0.0.1:1"), trusting(redis)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rediss://");
        Path missing = temp.resolve("missing-ca.pem");
        assertThatThrownBy(() -> RedisPendingRequestQueue.connect(redis.uri(),
                RedisPendingRequestQueueTest.FAST.withTls(RedisTlsSettings.trusting(missing))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());
    }
}
