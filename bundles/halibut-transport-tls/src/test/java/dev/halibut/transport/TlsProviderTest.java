package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The {@code tls.provider} choice: OpenSSL (netty-tcnative, on the test class path here) and the JDK's JSSE
 * make contexts with the same key, thumbprint trust and protocol versions, so every pairing of the two completes
 * a mutual TLS 1.3 handshake and carries data, and an untrusted client is refused by either.
 */
class TlsProviderTest {

    private static final TlsListenerTest.TestCert SERVER = TestCerts.create("provider-server");
    private static final TlsListenerTest.TestCert CLIENT = TestCerts.create("provider-client");

    @ParameterizedTest(name = "server {0}, client {1}")
    @CsvSource({"jdk,jdk", "openssl,openssl", "openssl,jdk", "jdk,openssl"})
    void everyPairingHandshakesMutualTls13AndCarriesData(String serverProvider, String clientProvider) throws SSLException {
        TlsContextFactory server = new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate(), serverProvider);
        TlsContextFactory client = new TlsContextFactory(CLIENT.certificate(), CLIENT.keys().getPrivate(), clientProvider);
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(client.thumbprint());
        SSLEngine s = server.serverContext(trust).createSSLEngine();
        TlsContextFactory.configure(s, true);
        SSLEngine c = client.clientContext(server.thumbprint()).createSSLEngine("localhost", 10943);
        TlsContextFactory.configure(c, false);

        handshake(c, s);

        assertThat(c.getSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(s.getSession().getPeerCertificates()[0]).isEqualTo(CLIENT.certificate());
        assertThat(c.getSession().getPeerCertificates()[0]).isEqualTo(SERVER.certificate());
        assertThat(send(c, s, "ping")).isEqualTo("ping");
        assertThat(send(s, c, "pong")).isEqualTo("pong");
    }

    @ParameterizedTest(name = "server {0}")
    @CsvSource({"jdk", "openssl"})
    void aClientOutsideTheTrustIsRefused(String serverProvider) {
        TlsContextFactory server = new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate(), serverProvider);
        TlsContextFactory client = new TlsContextFactory(CLIENT.certificate(), CLIENT.keys().getPrivate(), "jdk");
        SSLEngine s = server.serverContext(new ThumbprintTrust()).createSSLEngine();
        TlsContextFactory.configure(s, true);
        SSLEngine c = client.clientContext(server.thumbprint()).createSSLEngine("localhost", 10943);
        TlsContextFactory.configure(c, false);

        assertThatThrownBy(() -> handshake(c, s)).isInstanceOf(SSLException.class);
    }

    @Test
    void anUnknownProviderIsRefusedNamingTheChoices() {
        assertThatThrownBy(() -> new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate(), "boringssl"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("boringssl").hasMessageContaining("jdk or openssl");
    }

    /** Runs both engines against each other in memory until both finish their handshake (bounded rounds). */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
        ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
        ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 200; round++) {
            step(client, toClient, toServer, scratch);
            step(server, toServer, toClient, scratch);
            if (done(client) && done(server) && toServer.position() == 0 && toClient.position() == 0) {
                return;
            }
        }
        throw new SSLHandshakeException("no handshake within 200 rounds: client " + client.getHandshakeStatus()
                + ", server " + server.getHandshakeStatus() + ", " + toServer.position() + " bytes to the server, "
                + toClient.position() + " to the client");
    }

    /** Engines whose wrap or unwrap reported FINISHED (OpenSSL's may still say NEED_UNWRAP afterwards). */
    private static final java.util.Set<SSLEngine> FINISHED = java.util.Collections.synchronizedSet(
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));

    private static boolean done(SSLEngine e) {
        return FINISHED.contains(e) || e.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
    }

    private static void note(SSLEngine e, SSLEngineResult r) {
        if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            FINISHED.add(e);
        }
    }

    /** One turn of an engine: consume what arrived, run delegated tasks, and wrap what it wants to send. */
    private static void step(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer scratch) throws SSLException {
        in.flip();
        // Unwrap at least once even with nothing new: OpenSSL's engine verifies the peer's certificate in a
        // delegated task and continues the handshake only at the next unwrap.
        for (int i = 0; i < 64; i++) {
            scratch.clear();
            SSLEngineResult r = e.unwrap(in, scratch);
            note(e, r);
            boolean ranTask = runTasks(e);
            if (!ranTask && (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0)) {
                break;
            }
        }
        in.compact();
        while (e.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            SSLEngineResult r = e.wrap(ByteBuffer.allocate(0), out);
            note(e, r);
            runTasks(e);
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                break;
            }
        }
        if (e.isOutboundDone() && e.isInboundDone()) {
            throw new SSLHandshakeException("engine closed during the handshake");
        }
    }

    private static boolean runTasks(SSLEngine e) {
        boolean ran = false;
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
            ran = true;
        }
        return ran;
    }

    /** Encrypts {@code text} on {@code from} and decrypts it on {@code to}. */
    private static String send(SSLEngine from, SSLEngine to, String text) throws SSLException {
        ByteBuffer wire = ByteBuffer.allocate(64 * 1024);
        from.wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), wire);
        wire.flip();
        ByteBuffer plain = ByteBuffer.allocate(64 * 1024);
        while (wire.hasRemaining()) {
            SSLEngineResult r = to.unwrap(wire, plain);
            runTasks(to);
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                break;
            }
        }
        plain.flip();
        return StandardCharsets.UTF_8.decode(plain).toString();
    }
}
