package dev.halibut.runtime.it;

import static dev.halibut.runtime.it.PollingFixture.shortCollection;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.RuntimeStatus;
import dev.halibut.HttpProxy;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Polling over secure WebSockets: the service host (tentacle) polls the caller's listener (octopus) at
 * {@code wss://localhost:port/path}, on the same port that serves raw Halibut, with the same certificates and
 * thumbprint rules (docs/protocol.md, "Polling over WebSockets").
 */
class WebSocketPollingTest {

    private static final URI SUBSCRIPTION = URI.create("poll://ws-subscription/");
    private static final long MIB = 1024 * 1024;

    private final CalculatorService calculator = new CalculatorService();
    private final FilesService files = new FilesService();
    @RegisterExtension
    final PollingFixture fixture = new PollingFixture(
            b -> b.service(Calculator.class, calculator).service(Files.class, files));
    private final HalibutRuntime octopus = fixture.octopus;
    private final HalibutRuntime tentacle = fixture.tentacle;
    private final int port = fixture.port;

    private ServiceEndPoint polling(URI subscription) {
        return fixture.polling(subscription);
    }

    private ServiceEndPoint wss(int p, String path) {
        return new ServiceEndPoint(URI.create("wss://localhost:" + p + path), octopus.thumbprint());
    }

    /** Text of {@code chars} characters that hardly compresses: its messages span many WebSocket frames. */
    private static String noise(int chars, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder(chars);
        for (int i = 0; i < chars; i++) {
            sb.append((char) ('!' + r.nextInt(90)));
        }
        return sb.toString();
    }

    @Test
    void requestsResponsesAndStreamsTravelBothWaysOverWss() throws Exception {
        PollingSubscription sub = tentacle.poll(SUBSCRIPTION, wss(port, "/halibut"));
        Calculator calc = octopus.createClient(Calculator.class, polling(SUBSCRIPTION));
        Files remoteFiles = octopus.createClient(Files.class, polling(SUBSCRIPTION));

        assertThat(calc.add(1, 2)).isEqualTo(3);
        String big = noise(300_000, 1); // a request and a response of ~300 KB: Halibut frames larger than a WebSocket frame
        assertThat(calc.echo(big)).isEqualTo(big);
        // Streams both ways: uploaded with the request, downloaded with the response.
        assertThat(remoteFiles.sha256(DataStream.fromWriter(3 * MIB + 17, out -> TestBytes.write(out, 3 * MIB + 17, 7))))
                .isEqualTo(TestBytes.sha256(3 * MIB + 17, 7));
        DataStream produced = remoteFiles.produce(2 * MIB + 3, 11);
        try (InputStream in = produced.openStream()) {
            assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(2 * MIB + 3, 11));
        }
        assertThat(sub.connectedCount()).isEqualTo(1);
        // halibut:status shows the route of the subscription's connections.
        assertThat(tentacle.status().subscriptions()).singleElement()
                .satisfies(s -> assertThat(s.route()).isEqualTo(RuntimeStatus.WSS));
        assertThat(tentacle.route(wss(port, "/halibut"))).isEqualTo("wss");
        assertThat(tentacle.route(wss(port, "/").withProxy(new HttpProxy("proxy.example", 3128))))
                .isEqualTo("wss via proxy proxy.example:3128");
    }

    @Test
    void theListenerShowsWhichRouteEachInboundConnectionTook() {
        // A listener that also serves, so that callers' connections stay open (pooled) after their calls.
        HalibutRuntime listener = fixture.track(HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .service(Calculator.class, new CalculatorService()).trust(tentacle.thumbprint()).build());
        int p = listener.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ServiceEndPoint https = new ServiceEndPoint(URI.create("https://localhost:" + p + "/"), listener.thumbprint());
        URI raw = URI.create("poll://raw-subscription/");
        tentacle.poll(SUBSCRIPTION, wss(p, "/halibut"));
        tentacle.poll(raw, https);
        assertThat(listener.createClient(Calculator.class, polling(SUBSCRIPTION)).add(1, 1)).isEqualTo(2);
        assertThat(listener.createClient(Calculator.class, polling(raw)).add(2, 2)).isEqualTo(4);
        assertThat(tentacle.createClient(Calculator.class, wss(p, "/calls")).add(3, 3)).isEqualTo(6);
        assertThat(tentacle.createClient(Calculator.class, https).add(4, 4)).isEqualTo(8);

        String listenKey = "listen://127.0.0.1:" + p + "/";
        String peer = tentacle.thumbprint();
        assertThat(listener.status().inbound()).containsExactlyInAnyOrder(
                new RuntimeStatus.InboundConnections(listenKey, peer, HalibutObserver.Role.CALLER, 1, RuntimeStatus.TLS),
                new RuntimeStatus.InboundConnections(listenKey, peer, HalibutObserver.Role.CALLER, 1, RuntimeStatus.WSS),
                new RuntimeStatus.InboundConnections(raw.toString(), peer, HalibutObserver.Role.SUBSCRIBER, 1,
                        RuntimeStatus.TLS),
                new RuntimeStatus.InboundConnections(SUBSCRIPTION.toString(), peer, HalibutObserver.Role.SUBSCRIBER, 1,
                        RuntimeStatus.WSS));
        assertThat(listener.connectionLog(SUBSCRIPTION.toString())).anySatisfy(e -> assertThat(e.message())
                .startsWith("Polling service host ").endsWith(" connected over wss (certificate " + peer + ")"));
        assertThat(listener.connectionLog(raw.toString())).anySatisfy(e -> assertThat(e.message())
                .startsWith("Polling service host ").endsWith(" connected (certificate " + peer + ")"));
    }

    @Test
    void aWssPollerPollsThroughAnHttpConnectProxy() throws Exception {
        dev.halibut.runtime.testing.ConnectProxy connect = fixture.track(new dev.halibut.runtime.testing.ConnectProxy());
        ServiceEndPoint viaProxy = wss(port, "/halibut").withProxy(new HttpProxy(connect.host(), connect.port()));
        PollingSubscription sub = tentacle.poll(SUBSCRIPTION, viaProxy);
        assertThat(octopus.createClient(Calculator.class, polling(SUBSCRIPTION)).add(6, 7)).isEqualTo(13);
        assertThat(connect.tunnels()).isGreaterThanOrEqualTo(1);
        assertThat(sub.connectedCount()).isEqualTo(1);
        assertThat(tentacle.status().subscriptions()).singleElement().satisfies(s -> assertThat(s.route())
                .isEqualTo("wss via proxy " + connect.host() + ":" + connect.port()));
    }

    @Test
    void anIdleWssSubscriberIsKeptAliveAndServesAfterwards() {
        fixture.assertAnIdleSubscriberIsKeptAliveAndServesAfterwards("wss", SUBSCRIPTION);
    }

    @Test
    void aWssPollerReconnectsAfterTheListenerRestarts() {
        fixture.assertPollerReconnectsAfterTheListenerRestarts(wss(port, "/"), SUBSCRIPTION);
    }

    @Test
    void anUntrustedWssPollerIsRejectedAndItsRequestsAreNotCollected() {
        octopus.removeTrust(tentacle.thumbprint());
        fixture.assertNothingIsCollected(tentacle.poll(SUBSCRIPTION, wss(port, "/")), SUBSCRIPTION, calculator.invocations);
    }

    @Test
    void aWssPollerRefusesAListenerWithTheWrongThumbprint() {
        ServiceEndPoint impostor = new ServiceEndPoint(URI.create("wss://localhost:" + port + "/"),
                Thumbprints.of(TestIdentities.STRANGER.certificate()));
        fixture.assertNothingIsCollected(tentacle.poll(SUBSCRIPTION, impostor), SUBSCRIPTION, calculator.invocations);
    }

    @Test
    void aPlainGetIsAnswered426AndAnUpgradeWithoutTheHalibutSubprotocol400() throws Exception {
        assertThat(exchange("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                .startsWith("HTTP/1.1 426 Upgrade Required").contains("wss://");
        assertThat(exchange("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: chat\r\n\r\n"))
                .startsWith("HTTP/1.1 400 Bad Request").contains("halibut.v1");
        // The same port still serves raw Halibut and WebSocket pollers afterwards.
        tentacle.poll(SUBSCRIPTION, wss(port, "/"));
        assertThat(octopus.createClient(Calculator.class, polling(SUBSCRIPTION)).add(5, 5)).isEqualTo(10);
    }

    @Test
    void theListenerBoundsWhatItReadsOnTheWebSocketRoute() throws Exception {
        // An upgrade request whose headers exceed 8 KiB is answered 400 before it is read to its end.
        assertThat(exchange("GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "p".repeat(9000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 400 Bad Request");

        // An upgrade that never finishes is closed at the handshake timeout (500 ms here), counted from accept.
        HalibutRuntime impatient = fixture.listener(HalibutLimits.defaults().withHandshakeTimeout(Duration.ofMillis(500)));
        impatient.trust(tentacle.thumbprint());
        int p = impatient.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (SSLSocket s = tlsTo(p)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: loc".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1); // closed by the listener well before the 10 s read timeout
        }

        // After the upgrade, a WebSocket frame announcing more than 64 KiB closes the connection unread.
        try (SSLSocket s = tlsTo(port)) {
            s.getOutputStream().write(UPGRADE.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 101 Switching Protocols")
                    .containsIgnoringCase("sec-websocket-protocol: halibut.v1");
            // FIN + binary, masked, 64-bit length 70000, mask key; no payload needed: the header alone is refused.
            s.getOutputStream().write(new byte[] {(byte) 0x82, (byte) 0xFF, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 1, 2, 3, 4});
            s.getOutputStream().flush();
            byte[] rest = s.getInputStream().readAllBytes(); // at most a close frame, then the end
            assertThat(rest.length).isLessThan(200);
        }
    }

    private static final String UPGRADE = "GET /halibut HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: halibut.v1\r\n\r\n";

    private static String head(InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    private static SSLSocket tlsTo(int p) throws Exception {
        SSLSocket s = (SSLSocket) TestTls.presenting(TestIdentities.TENTACLE).getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), p);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends {@code request} over TLS (as the trusted tentacle) and returns everything the listener answers. */
    private String exchange(String request) throws Exception {
        try (SSLSocket s = tlsTo(port)) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // the listener closes
        }
    }

    @Test
    void aListeningServiceHostCanBeCalledOverWssToo() {
        int tentaclePort = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tentacle.trust(octopus.thumbprint());
        Calculator calc = octopus.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("wss://localhost:" + tentaclePort + "/calls"), tentacle.thumbprint()));
        assertThat(calc.add(20, 22)).isEqualTo(42);
        assertThat(calc.echo("twice")).isEqualTo("twice");
    }

    /** See {@link WebSocketOnlyProxy} for what this setup proves and why the proxy holds both certificates. */
    @Test
    void pollingPassesAReverseProxyThatOnlyPassesWebSockets() throws Exception {
        WebSocketOnlyProxy proxy = fixture.track(new WebSocketOnlyProxy(TestIdentities.OCTOPUS, TestIdentities.TENTACLE,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
        PollingSubscription sub = tentacle.poll(SUBSCRIPTION, wss(proxy.port(), "/halibut"));
        Calculator calc = octopus.createClient(Calculator.class, polling(SUBSCRIPTION));
        assertThat(calc.add(3, 4)).isEqualTo(7);
        String big = noise(200_000, 2);
        assertThat(calc.echo(big)).isEqualTo(big);
        assertThat(octopus.createClient(Files.class, polling(SUBSCRIPTION))
                .sha256(DataStream.fromWriter(MIB + 5, out -> TestBytes.write(out, MIB + 5, 3))))
                .isEqualTo(TestBytes.sha256(MIB + 5, 3));
        assertThat(sub.connectedCount()).isEqualTo(1);
        assertThat(proxy.upgrades()).isEqualTo(1);
        assertThat(proxy.frames()).isGreaterThan(20);
        assertThat(proxy.violations()).isEmpty();

        // Raw Halibut through the same proxy is refused: the proxy's check is real.
        URI raw = URI.create("poll://raw/");
        PollingSubscription rawSub = tentacle.poll(raw,
                new ServiceEndPoint(URI.create("https://localhost:" + proxy.port() + "/"), octopus.thumbprint()));
        Await.until("the proxy to refuse a raw Halibut connection", Duration.ofSeconds(30), () -> proxy.refusals() > 0);
        assertThat(rawSub.connectedCount()).isZero();
        assertThatThrownBy(() -> octopus.createClient(Calculator.class, shortCollection(polling(raw), Duration.ofMillis(500)))
                .add(1, 1)).hasMessageContaining("not collected");
    }
}
