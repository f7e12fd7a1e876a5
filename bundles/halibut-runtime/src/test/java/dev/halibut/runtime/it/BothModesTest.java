package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.MethodNotFoundException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceInvocationException;
import dev.halibut.ServiceNotFoundException;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import jakarta.inject.Named;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The foundation's acceptance suite, using only the public API, run in both modes: the calling code is
 * identical, only the endpoint differs.
 */
class BothModesTest {

    enum Mode { LISTENING, POLLING }

    private static final URI SUBSCRIPTION = URI.create("poll://both-modes/");

    private final CalculatorService service = new CalculatorService();

    @RegisterExtension
    final TestResources resources = new TestResources();

    private HalibutRuntime runtime(CertificateAndKey id, boolean withService) {
        HalibutRuntime.Builder b = HalibutRuntime.builder().certificate(id.certificate(), id.privateKey());
        if (withService) {
            b.service(Calculator.class, service);
        }
        HalibutRuntime r = b.build();
        resources.add(r);
        return r;
    }

    /**
     * Wires a caller (with {@code callerId}) to the tentacle's calculator in the given mode.
     *
     * @param trustCaller         whether the side that checks the caller's certificate trusts it
     * @param serverThumbprintSeen the thumbprint the connecting side expects of the listener (null: the right one)
     */
    private <T> T client(Mode mode, Class<T> contract, CertificateAndKey callerId, boolean trustCaller,
                         String serverThumbprintSeen, HalibutLimits limits) {
        HalibutRuntime tentacle = runtime(TestIdentities.TENTACLE, true);
        HalibutRuntime caller = runtime(callerId, false);
        if (mode == Mode.LISTENING) {
            int port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            if (trustCaller) {
                tentacle.trust(caller.thumbprint());
            }
            String tp = serverThumbprintSeen != null ? serverThumbprintSeen : tentacle.thumbprint();
            return caller.createClient(contract,
                    new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tp).withLimits(limits));
        }
        int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        if (trustCaller) {
            caller.trust(tentacle.thumbprint());
        }
        String tp = serverThumbprintSeen != null ? serverThumbprintSeen : caller.thumbprint();
        PollingSubscription sub = tentacle.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tp));
        resources.addFirst(sub);
        return caller.createClient(contract, new ServiceEndPoint(SUBSCRIPTION, tentacle.thumbprint()).withLimits(limits));
    }

    private Calculator calculator(Mode mode) {
        return client(mode, Calculator.class, TestIdentities.OCTOPUS, true, null, null);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void calculatorAdds(Mode mode) {
        assertThat(calculator(mode).add(1, 2)).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentCallsFrom32Threads(Mode mode) throws Exception {
        Calculator calc = calculator(mode);
        ExecutorService threads = Executors.newFixedThreadPool(32);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 640; i++) {
                int n = i;
                results.add(threads.submit(() -> calc.add(n, 1)));
            }
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(i + 1);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(service.invocations).hasValue(640);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void untrustedCallerIsRejected(Mode mode) {
        HalibutLimits shortWait = HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofSeconds(1));
        Calculator calc = client(mode, Calculator.class, TestIdentities.STRANGER, false, null, shortWait);
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining(mode == Mode.LISTENING ? "rejected our certificate" : "not collected");
        assertThat(service.invocations).hasValue(0);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void wrongServerThumbprintIsRejectedWithoutRetry(Mode mode) {
        HalibutLimits shortWait = HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofSeconds(1));
        String wrong = dev.halibut.Thumbprints.of(TestIdentities.STRANGER.certificate());
        Calculator calc = client(mode, Calculator.class, TestIdentities.OCTOPUS, true, wrong, shortWait);
        long start = System.nanoTime();
        if (mode == Mode.LISTENING) {
            assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining(wrong).hasMessageContaining("not retrying");
            // Not retried: far less than even one retry backoff cycle.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } else {
            // The poller refuses the listener, so nothing collects the request.
            assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("not collected");
        }
        assertThat(service.invocations).hasValue(0);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void unreachableServiceHostGivesUpWithinTheBound(Mode mode) throws Exception {
        HalibutRuntime caller = runtime(TestIdentities.OCTOPUS, false);
        ServiceEndPoint nowhere;
        if (mode == Mode.LISTENING) {
            int closedPort;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closedPort = s.getLocalPort();
            }
            nowhere = new ServiceEndPoint(URI.create("https://localhost:" + closedPort + "/"), caller.thumbprint());
        } else {
            nowhere = new ServiceEndPoint(URI.create("poll://nobody-polls-this/"), caller.thumbprint())
                    .withLimits(HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofSeconds(2)));
        }
        Calculator calc = caller.createClient(Calculator.class, nowhere);
        long start = System.nanoTime();
        assertThatThrownBy(() -> calc.add(1, 2)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining(mode == Mode.LISTENING ? "after 5 attempts" : "not collected");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void remoteExceptionIsRethrownWithItsMessage(Mode mode) {
        Calculator calc = calculator(mode);
        assertThatThrownBy(() -> calc.fail("no more disk")).isInstanceOfSatisfying(ServiceInvocationException.class, e -> {
            assertThat(e.getRemoteMessage()).isEqualTo("no more disk");
            assertThat(e.getRemoteType()).isEqualTo(IllegalStateException.class.getName());
            assertThat(e.getMessage()).contains("no more disk");
        });
    }

    interface Missing {
        void anything();
    }

    @Named("Calculator")
    interface CalculatorWithExtras {
        int add(int a, int b);

        int power(int base, int exponent);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void serviceAndMethodNotFound(Mode mode) {
        CalculatorWithExtras calc = client(mode, CalculatorWithExtras.class, TestIdentities.OCTOPUS, true, null, null);
        assertThat(calc.add(2, 3)).isEqualTo(5);
        assertThatThrownBy(() -> calc.power(2, 8)).isInstanceOf(MethodNotFoundException.class).hasMessageContaining("power");
        Missing missing = client(mode, Missing.class, TestIdentities.OCTOPUS, true, null, null);
        assertThatThrownBy(missing::anything).isInstanceOf(ServiceNotFoundException.class).hasMessageContaining("Missing");
    }
}
