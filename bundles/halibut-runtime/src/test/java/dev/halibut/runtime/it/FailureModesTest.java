package dev.halibut.runtime.it;

import dev.halibut.runtime.testing.FaultInjectingProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The failure modes of the design's table that apply to listening mode, each on loopback, most of them
 * through a fault-injecting proxy between caller and service host.
 */
class FailureModesTest {

    /** A service that blocks until the test lets it go, so faults can be injected mid-call. */
    public interface Gate {
        int pass(int value);
    }

    static final class GateService implements Gate {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public int pass(int value) {
            calls.incrementAndGet();
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return value;
        }
    }

    /** A result the service host cannot encode (its getter throws). */
    public interface Unencodable {
        Broken broken();
    }

    public static final class Broken {
        public String getValue() {
            throw new IllegalStateException("cannot be serialised");
        }
    }

    private final CalculatorService calculator = new CalculatorService();
    private final GateService gate = new GateService();
    private HalibutRuntime octopus;
    private HalibutRuntime tentacle;
    private FaultInjectingProxy proxy;
    private int port;

    @BeforeEach
    void start() throws Exception {
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, calculator)
                .service(Gate.class, gate)
                .service(Unencodable.class, () -> new Broken())
                .trust(octopus.thumbprint()).build();
        port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        proxy = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    @AfterEach
    void stop() throws Exception {
        gate.release.countDown();
        octopus.close();
        tentacle.close();
        proxy.close();
        ThreadLeaks.assertNoHalibutThreads();
    }

    private ServiceEndPoint viaProxy() {
        return new ServiceEndPoint(URI.create("https://localhost:" + proxy.port() + "/"), tentacle.thumbprint());
    }

    @Test
    void cannotConnectFailsAfterFiveAttemptsWithinTheWindow() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Calculator calc = octopus.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://localhost:" + closedPort + "/"), tentacle.thumbprint()));
        long start = System.nanoTime();
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Could not connect to https://localhost:" + closedPort)
                .hasMessageContaining("after 5 attempts");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void connectionClosedRightAfterAcceptIsRetriedFiveTimesThenFails() {
        proxy.refuse();
        Calculator calc = octopus.createClient(Calculator.class, viaProxy());
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("after 5 attempts");
        assertThat(proxy.acceptedConnections()).isEqualTo(5);
        assertThat(calculator.invocations).hasValue(0);
    }

    @Test
    void stalledHandshakeGivesUpWithinTheRetryWindow() {
        proxy.stallAfterServerBytes(0);
        HalibutLimits limits = HalibutLimits.defaults().withConnectTimeout(Duration.ofMillis(300))
                .withConnectRetryWindow(Duration.ofMillis(1500));
        Calculator calc = octopus.createClient(Calculator.class, viaProxy().withLimits(limits));
        long start = System.nanoTime();
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Could not connect");
        // Each attempt is capped by what is left of the window, so the whole call ends near the window's end.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(proxy.acceptedConnections()).isBetween(1, 5);
    }

    @Test
    void connectionTornDownAfterTheRequestFailsWithoutRetry() throws Exception {
        Gate client = octopus.createClient(Gate.class, viaProxy());
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> client.pass(7), OwnThread.EACH);
        assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
        proxy.killAll();
        assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(HalibutClientException.class)
                .rootCause().isNotNull();
        assertThat(call.handle((v, e) -> e.getCause().getMessage()).get())
                .contains("Gate.pass").contains("may have run").contains("not retrying");
        gate.release.countDown();
        assertThat(gate.calls).hasValue(1);
        assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void pooledConnectionThatDiedIsReplacedWithoutFailingTheCall() {
        // The reset must be found by the liveness exchange, not by racing it to the caller's operating system:
        // no skipping NEXT / PROCEED here (ConnectionReuseTest covers the skip and its own check).
        Calculator calc = octopus.createClient(Calculator.class,
                viaProxy().withLimits(octopus.limits().withHeartbeatSkipWindow(Duration.ZERO)));
        assertThat(calc.add(1, 2)).isEqualTo(3);
        proxy.killAll();
        assertThat(calc.add(2, 2)).isEqualTo(4);
        assertThat(calculator.invocations).hasValue(2);
        assertThat(proxy.acceptedConnections()).isEqualTo(2);
    }

    @Test
    void pooledConnectionIsReusedForSequentialCalls() {
        Calculator calc = octopus.createClient(Calculator.class, viaProxy());
        for (int i = 0; i < 20; i++) {
            assertThat(calc.add(i, 1)).isEqualTo(i + 1);
        }
        assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void serviceRejectingOurCertificateFailsWithoutRetry() {
        try (HalibutRuntime stranger = HalibutRuntime.builder()
                .certificate(TestIdentities.STRANGER.certificate(), TestIdentities.STRANGER.privateKey()).build()) {
            Calculator calc = stranger.createClient(Calculator.class, viaProxy());
            assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("rejected our certificate")
                    .hasMessageContaining(stranger.thumbprint());
            assertThat(proxy.acceptedConnections()).isEqualTo(1);
            assertThat(calculator.invocations).hasValue(0);
        }
    }

    @Test
    void wrongServerThumbprintFailsNamingBothWithoutRetry() {
        ServiceEndPoint wrong = new ServiceEndPoint(URI.create("https://localhost:" + proxy.port() + "/"),
                octopus.thumbprint());
        Calculator calc = octopus.createClient(Calculator.class, wrong);
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining(tentacle.thumbprint())
                .hasMessageContaining(octopus.thumbprint())
                .hasMessageContaining("not retrying");
        assertThat(proxy.acceptedConnections()).isEqualTo(1);
        assertThat(calculator.invocations).hasValue(0);
    }

    @Test
    void removingTrustCutsOffOpenConnections() {
        Calculator calc = octopus.createClient(Calculator.class, viaProxy());
        assertThat(calc.add(1, 2)).isEqualTo(3);
        tentacle.removeTrust(octopus.thumbprint());
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class);
        assertThat(calculator.invocations).hasValue(1);
        tentacle.trust(octopus.thumbprint());
        assertThat(calc.add(3, 4)).isEqualTo(7);
    }

    @Test
    void serviceHostFailingToEncodeTheResultReturnsAnError() {
        Unencodable client = octopus.createClient(Unencodable.class, viaProxy());
        assertThatThrownBy(client::broken).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Unencodable.broken")
                .hasMessageContaining("cannot be encoded");
        // The error travelled as a normal response: the connection is still good.
        assertThat(octopus.createClient(Calculator.class, viaProxy()).add(1, 1)).isEqualTo(2);
        assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void truncatedResponseFailsTheCall() throws Exception {
        Gate client = octopus.createClient(Gate.class, viaProxy());
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> client.pass(7), OwnThread.EACH);
        assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
        // The connection ends (FIN) just before the response: the caller sees it closed mid-call.
        proxy.injectIntoNextServerBytes(FaultInjectingProxy.LiveFault.TRUNCATE);
        gate.release.countDown();
        assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(HalibutClientException.class);
        assertThat(gate.calls).hasValue(1);
    }

    @Test
    void closingTheCallerRuntimeFailsCallsInFlight() throws Exception {
        Gate client = octopus.createClient(Gate.class, viaProxy());
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> client.pass(7), OwnThread.EACH);
        assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
        octopus.close();
        assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(HalibutClientException.class);
    }

    @Test
    void noSocketsRemainThroughTheProxyAfterClose() {
        Calculator calc = octopus.createClient(Calculator.class, viaProxy());
        for (int i = 0; i < 10; i++) {
            calc.add(i, i);
        }
        octopus.close();
        tentacle.close();
        Await.until("the proxy to see every connection closed", Duration.ofSeconds(10), () -> proxy.openConnections() == 0);
    }
}
