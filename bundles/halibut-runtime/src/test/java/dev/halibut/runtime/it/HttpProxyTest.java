package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.HttpProxy;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.RuntimeStatus;
import dev.halibut.runtime.testing.ConnectProxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Outgoing connections through an HTTP CONNECT proxy on loopback ({@link ConnectProxy}): calls in both modes, proxy
 * authentication, proxies that refuse, a tunnel dropped mid-call, the no-proxy list, and that the proxy relays only
 * ciphertext.
 */
class HttpProxyTest {

    enum Mode { LISTENING, POLLING }

    private static final URI SUBSCRIPTION = URI.create("poll://proxied/");
    /** Few, quick attempts: the refusal tests count them. */
    private static final HalibutLimits QUICK = HalibutLimits.defaults().withConnectAttempts(2)
            .withConnectRetryWindow(Duration.ofSeconds(10)).withConnectTimeout(Duration.ofSeconds(5));

    private ConnectProxy proxy;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new ConnectProxy();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        proxy.close();
    }

    private HttpProxy viaProxy() {
        return new HttpProxy(proxy.host(), proxy.port());
    }

    private HalibutRuntime runtime(HalibutRuntime.Builder b) {
        HalibutRuntime r = b.build();
        closeables.add(r);
        return r;
    }

    private HalibutRuntime.Builder serviceHostBuilder() {
        return HalibutRuntime.builder().certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, new CalculatorService());
    }

    private HalibutRuntime.Builder callerBuilder() {
        return HalibutRuntime.builder().certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey());
    }

    /** The caller's client for the service host, the outgoing side going through {@code outgoingProxy}. */
    private Calculator connect(Mode mode, HttpProxy outgoingProxy) {
        if (mode == Mode.LISTENING) {
            HalibutRuntime serviceHost = runtime(serviceHostBuilder());
            HalibutRuntime caller = runtime(callerBuilder().proxy(outgoingProxy).timeouts(QUICK));
            int port = serviceHost.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            serviceHost.trust(caller.thumbprint());
            return caller.createClient(Calculator.class, listening(port, serviceHost));
        }
        HalibutRuntime caller = runtime(callerBuilder());
        HalibutRuntime serviceHost = runtime(serviceHostBuilder().proxy(outgoingProxy));
        int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        caller.trust(serviceHost.thumbprint());
        PollingSubscription s = serviceHost.poll(SUBSCRIPTION, listening(port, caller));
        closeables.add(s);
        return caller.createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint()));
    }

    private static ServiceEndPoint listening(int port, HalibutRuntime at) {
        return new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), at.thumbprint());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void callsGoThroughTheProxyWhichSeesOnlyCiphertext(Mode mode) {
        Calculator calc = connect(mode, viaProxy());
        String payload = "plaintext-payload-" + "the proxy must never see this";

        assertThat(calc.echo(payload)).isEqualTo(payload);
        assertThat(calc.add(1, 2)).isEqualTo(3);
        byte[] large = new byte[2 * 1024 * 1024];
        new java.util.Random(16).nextBytes(large);
        byte[] reversed = calc.reverse(large);
        assertThat(reversed).hasSize(large.length);
        assertThat(reversed[0]).isEqualTo(large[large.length - 1]);
        assertThat(reversed[large.length - 1]).isEqualTo(large[0]);

        assertThat(proxy.tunnels()).isGreaterThanOrEqualTo(1);
        assertThat(proxy.targets()).allSatisfy(t -> assertThat(t).startsWith("localhost:"));
        byte[] relayed = proxy.relayedBytes();
        assertThat(relayed.length).isGreaterThan(payload.length());
        String asText = new String(relayed, StandardCharsets.ISO_8859_1);
        assertThat(asText).doesNotContain("plaintext-payload").doesNotContain("MX-CLIENT").doesNotContain("MX-SUBSCRIBER")
                .doesNotContain("HALIBUT");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void statusShowsTheRouteThroughTheProxy(Mode mode) {
        HalibutRuntime serviceHost = runtime(serviceHostBuilder().proxy(viaProxy()));
        HalibutRuntime caller = runtime(callerBuilder().proxy(viaProxy()));
        String route = "proxy " + proxy.host() + ":" + proxy.port();
        if (mode == Mode.LISTENING) {
            int port = serviceHost.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            serviceHost.trust(caller.thumbprint());
            ServiceEndPoint endpoint = listening(port, serviceHost);
            assertThat(caller.createClient(Calculator.class, endpoint).add(2, 2)).isEqualTo(4);
            assertThat(caller.route(endpoint)).isEqualTo(route);
            assertThat(caller.route(endpoint.withProxy(HttpProxy.DIRECT))).isEqualTo(RuntimeStatus.DIRECT);
            assertThat(caller.status().outbound()).singleElement()
                    .satisfies(o -> assertThat(o.route()).isEqualTo(route));
            assertThat(caller.connectionLog(endpoint.baseUri().toString()))
                    .anySatisfy(e -> assertThat(e.message()).contains("via " + route));
            // The listener sees raw TLS: a CONNECT tunnel relays it unchanged, so no proxy route exists inbound.
            assertThat(serviceHost.status().inbound()).singleElement()
                    .satisfies(i -> assertThat(i.route()).isEqualTo(RuntimeStatus.TLS));
        } else {
            int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            caller.trust(serviceHost.thumbprint());
            closeables.add(serviceHost.poll(SUBSCRIPTION, listening(port, caller)));
            assertThat(caller.createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint()))
                    .add(2, 2)).isEqualTo(4);
            assertThat(serviceHost.status().subscriptions()).singleElement()
                    .satisfies(s -> assertThat(s.route()).isEqualTo(route));
            assertThat(caller.route(new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint()))).isEqualTo(RuntimeStatus.POLLED);
            assertThat(caller.status().inbound()).singleElement()
                    .satisfies(i -> assertThat(i.route()).isEqualTo(RuntimeStatus.TLS));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void rightCredentialsOpenTheTunnel(Mode mode) {
        proxy.requireCredentials("halibut", "s3cret:with colon");
        Calculator calc = connect(mode, viaProxy().withCredentials("halibut", "s3cret:with colon"));

        assertThat(calc.add(20, 22)).isEqualTo(42);
        assertThat(proxy.tunnels()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void wrongCredentialsFailTheConnectNamingTheProxyAndTheKeys() {
        proxy.requireCredentials("halibut", "right");
        Calculator calc = connect(Mode.LISTENING, viaProxy().withCredentials("halibut", "wrong"));

        assertThatThrownBy(() -> calc.add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("through the HTTP proxy " + proxy.host() + ":" + proxy.port())
                .hasMessageContaining("407")
                .hasMessageContaining("after 2 attempts")
                .hasMessageContaining("proxy.username and proxy.password")
                .hasMessageContaining("localhost:");
        assertThat(proxy.connectRequests()).isEqualTo(2);
        assertThat(proxy.tunnels()).isZero();
    }

    @Test
    void missingCredentialsSayToSetThem() {
        proxy.requireCredentials("halibut", "right");
        Calculator calc = connect(Mode.LISTENING, viaProxy());

        assertThatThrownBy(() -> calc.add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("407")
                .hasMessageContaining("Set proxy.username and proxy.password");
    }

    @Test
    void aProxyThatForbidsTheTunnelIsAConnectFailureNamingItAndTheTarget() {
        proxy.mode(ConnectProxy.Mode.FORBID);
        Calculator calc = connect(Mode.LISTENING, viaProxy());

        assertThatThrownBy(() -> calc.add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageStartingWith("Could not connect to https://localhost:")
                .hasMessageContaining("The HTTP proxy " + proxy.host() + ":" + proxy.port() + " refused the tunnel (HTTP/1.1 403 Forbidden)")
                .hasMessageContaining("after 2 attempts")
                .hasMessageContaining("allows CONNECT");
        assertThat(proxy.connectRequests()).isEqualTo(2);
    }

    @Test
    void aProxyThatClosesWithoutAnsweringIsAConnectFailure() {
        proxy.mode(ConnectProxy.Mode.CLOSE);
        Calculator calc = connect(Mode.LISTENING, viaProxy());

        assertThatThrownBy(() -> calc.add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("The HTTP proxy " + proxy.host() + ":" + proxy.port()
                        + " closed the connection without answering the CONNECT request for localhost:")
                .hasMessageContaining("after 2 attempts");
    }

    @Test
    void aProxyThatAnswersGarbageIsAConnectFailure() {
        proxy.mode(ConnectProxy.Mode.GARBAGE);
        Calculator calc = connect(Mode.LISTENING, viaProxy());

        assertThatThrownBy(() -> calc.add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("answered the CONNECT request with something that is not HTTP (SSH-2.0-OpenSSH_9.2)")
                .hasMessageContaining("is an HTTP proxy");
    }

    @Test
    void anUnreachableProxyIsAConnectFailureNamingIt() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Calculator calc = connect(Mode.LISTENING, new HttpProxy(proxy.host(), closedPort));

        assertThatThrownBy(() -> calc.add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Could not reach the HTTP proxy " + proxy.host() + ":" + closedPort)
                .hasMessageContaining("after 2 attempts")
                .hasMessageContaining("Check proxy.host and proxy.port");
    }

    @Test
    void aProxyThatRefusesPollingKeepsThePollerRetryingAndLogsTheProxy() {
        proxy.mode(ConnectProxy.Mode.FORBID);
        HalibutRuntime caller = runtime(callerBuilder());
        HalibutRuntime serviceHost = runtime(serviceHostBuilder().proxy(viaProxy()));
        int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        caller.trust(serviceHost.thumbprint());
        closeables.add(serviceHost.poll(SUBSCRIPTION, listening(port, caller)));

        Await.until("two refused polling connects", Duration.ofSeconds(20), () -> proxy.connectRequests() >= 2);
        Await.until("the refusal in the connection log", Duration.ofSeconds(10), () -> serviceHost
                .connectionLog(SUBSCRIPTION.toString()).stream()
                .anyMatch(e -> e.message().contains("refused the tunnel") && e.message().contains(proxy.host() + ":" + proxy.port())));
        proxy.mode(ConnectProxy.Mode.TUNNEL);
        Calculator calc = caller.createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint()));
        assertThat(calc.add(3, 4)).isEqualTo(7);
    }

    @Test
    void aTunnelDroppedMidCallFailsTheCallAsMayHaveRunAndIsNotRetried() throws Exception {
        FailureModesTest.GateService gate = new FailureModesTest.GateService();
        HalibutRuntime serviceHost = runtime(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(FailureModesTest.Gate.class, gate));
        HalibutRuntime caller = runtime(callerBuilder().proxy(viaProxy()));
        int port = serviceHost.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        serviceHost.trust(caller.thumbprint());
        FailureModesTest.Gate client = caller.createClient(FailureModesTest.Gate.class, listening(port, serviceHost));

        var call = java.util.concurrent.CompletableFuture.supplyAsync(() -> client.pass(5), OwnThread.EACH);
        try {
            assertThat(gate.entered.await(20, TimeUnit.SECONDS)).as("the service was called").isTrue();
            int requestsBefore = proxy.connectRequests();
            proxy.dropTunnels();

            assertThatThrownBy(() -> call.get(20, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("Gate.pass")
                    .hasMessageContaining("may have run")
                    .hasMessageContaining("not retrying");
            assertThat(proxy.connectRequests()).as("no new tunnel after the request was sent").isEqualTo(requestsBefore);
            assertThat(gate.calls.get()).isEqualTo(1);
        } finally {
            gate.release.countDown();
        }
    }

    @Test
    void hostsInTheNoProxyListAreReachedDirectly() {
        Calculator calc = connect(Mode.LISTENING, viaProxy().withNoProxy(List.of("example.org", "localhost")));

        assertThat(calc.add(1, 2)).isEqualTo(3);
        assertThat(proxy.connectRequests()).isZero();
    }

    @Test
    void anEndpointsOwnProxyWinsOverTheRuntimes() {
        HalibutRuntime serviceHost = runtime(serviceHostBuilder());
        HalibutRuntime caller = runtime(callerBuilder().proxy(viaProxy()));
        int port = serviceHost.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        serviceHost.trust(caller.thumbprint());

        Calculator direct = caller.createClient(Calculator.class, listening(port, serviceHost).withProxy(HttpProxy.DIRECT));
        assertThat(direct.add(1, 2)).isEqualTo(3);
        assertThat(proxy.connectRequests()).isZero();

        HalibutRuntime plain = runtime(callerBuilder());
        Calculator proxied = plain.createClient(Calculator.class, listening(port, serviceHost).withProxy(viaProxy()));
        assertThat(proxied.add(1, 2)).isEqualTo(3);
        assertThat(proxy.tunnels()).isEqualTo(1);
    }

    @Test
    void theThumbprintIsCheckedEndToEndThroughTheTunnel() {
        HalibutRuntime serviceHost = runtime(serviceHostBuilder());
        HalibutRuntime caller = runtime(callerBuilder().proxy(viaProxy()));
        int port = serviceHost.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        serviceHost.trust(caller.thumbprint());
        ServiceEndPoint wrong = new ServiceEndPoint(URI.create("https://localhost:" + port + "/"),
                dev.halibut.Thumbprints.of(TestIdentities.STRANGER.certificate()));

        assertThatThrownBy(() -> caller.createClient(Calculator.class, wrong).add(1, 1))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("presented a certificate with thumbprint " + serviceHost.thumbprint())
                .hasMessageContaining("not retrying");
        assertThat(proxy.tunnels()).isEqualTo(1);
    }
}
