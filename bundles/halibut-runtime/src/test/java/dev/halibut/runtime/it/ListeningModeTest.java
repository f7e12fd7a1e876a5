package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.MethodNotFoundException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceInvocationException;
import dev.halibut.ServiceNotFoundException;
import dev.halibut.runtime.HalibutRuntime;
import jakarta.inject.Named;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two runtimes on loopback in listening mode: the calculator, concurrency, and the remote error kinds. */
class ListeningModeTest {

    private final CalculatorService service = new CalculatorService();
    private HalibutRuntime octopus;
    private HalibutRuntime tentacle;
    private ServiceEndPoint endpoint;

    @BeforeEach
    void start() {
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, service).build();
        int port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tentacle.trust(octopus.thumbprint());
        endpoint = new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint());
    }

    @AfterEach
    void stop() throws InterruptedException {
        octopus.close();
        tentacle.close();
        ThreadLeaks.assertNoHalibutThreads();
    }

    @Test
    void calculatorAddsOverTls() {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        assertThat(calc.add(1, 2)).isEqualTo(3);
        assertThat(calc.add(40, 2)).isEqualTo(42);
    }

    @Test
    void overloadsAreChosenByParameterTypes() {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        assertThat(calc.add(1, 2)).isEqualTo(3);
        assertThat(calc.add(1L, 2L)).isEqualTo(1_000_000_000_003L);
    }

    @Test
    void valuesOfManyShapesRoundTrip() {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        assertThat(calc.echo("héllo wörld ✓")).isEqualTo("héllo wörld ✓");
        assertThat(calc.echo(null)).isNull();
        assertThat(calc.reverse(new byte[] {1, 2, 3})).containsExactly(3, 2, 1);
        assertThat(calc.divide(1, 4)).isEqualTo(0.25);
        assertThat(calc.summarize(List.of(3, 1, 2))).isEqualTo(new Calculator.Summary(3, 6, List.of(1, 2, 3)));
    }

    @Test
    void asyncMethodCallsTheSynchronousServiceMethod() throws Exception {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        CompletableFuture<Integer> sum = calc.addAsync(20, 22);
        assertThat(sum.get(30, TimeUnit.SECONDS)).isEqualTo(42);
    }

    @Test
    void concurrentCallsFrom32ThreadsAllSucceed() throws Exception {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 32 * 50; i++) {
                int n = i;
                results.add(pool.submit(() -> calc.add(n, n)));
            }
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(2 * i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(service.invocations).hasValue(32 * 50);
    }

    @Test
    void remoteExceptionIsRethrownWithTypeMessageAndDetails() {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        assertThatThrownBy(() -> calc.fail("the disk is full"))
                .isInstanceOfSatisfying(ServiceInvocationException.class, e -> {
                    assertThat(e.getRemoteType()).isEqualTo(IllegalStateException.class.getName());
                    assertThat(e.getRemoteMessage()).isEqualTo("the disk is full");
                    assertThat(e.getRemoteDetails()).contains("CalculatorService.fail");
                    assertThat(e.getMessage()).contains("Calculator.fail", endpoint.baseUri().toString(),
                            "IllegalStateException", "the disk is full");
                });
        assertThatThrownBy(() -> calc.divideExactly(1, 0))
                .isInstanceOfSatisfying(ServiceInvocationException.class,
                        e -> assertThat(e.getRemoteType()).isEqualTo(ArithmeticException.class.getName()));
        // The connection stays usable after a remote exception.
        assertThat(calc.add(2, 2)).isEqualTo(4);
    }

    /** A contract the tentacle does not serve. */
    interface Unregistered {
        int ping();
    }

    /** Same wire name as Calculator, but with a method the service does not have. */
    @Named("Calculator")
    interface NewerCalculator {
        int multiply(int a, int b);

        int add(int a, int b, int c);
    }

    @Test
    void unknownServiceGivesServiceNotFound() {
        Unregistered client = octopus.createClient(Unregistered.class, endpoint);
        assertThatThrownBy(client::ping).isInstanceOf(ServiceNotFoundException.class)
                .hasMessageContaining("Unregistered").hasMessageContaining(endpoint.baseUri().toString());
    }

    @Test
    void unknownMethodOrArityGivesMethodNotFound() {
        NewerCalculator client = octopus.createClient(NewerCalculator.class, endpoint);
        assertThatThrownBy(() -> client.multiply(2, 3)).isInstanceOf(MethodNotFoundException.class)
                .hasMessageContaining("multiply");
        assertThatThrownBy(() -> client.add(1, 2, 3)).isInstanceOf(MethodNotFoundException.class)
                .hasMessageContaining("3 argument");
    }

    @Test
    void responseTimeoutFailsTheCallWithoutRetry() {
        ServiceEndPoint impatient = endpoint.withLimits(HalibutLimits.defaults().withResponseTimeout(Duration.ofMillis(300)));
        Calculator calc = octopus.createClient(Calculator.class, impatient);
        assertThatThrownBy(() -> calc.slow(3_000)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("no response within").hasMessageContaining("not retrying");
        assertThat(service.invocations).hasValue(1);
    }

    /** Served only while registered. */
    interface Greeter {
        String greet(String name);
    }

    @Test
    void servicesCanBeRegisteredAndWithdrawnAtRunTime() {
        Greeter client = octopus.createClient(Greeter.class, endpoint);
        assertThatThrownBy(() -> client.greet("x")).isInstanceOf(ServiceNotFoundException.class);
        HalibutRuntime.ServiceRegistration reg = tentacle.register(Greeter.class, name -> "hello " + name);
        assertThat(reg.serviceName()).isEqualTo("Greeter");
        assertThat(client.greet("bob")).isEqualTo("hello bob");
        // A second export of the same contract is served at its own address; the plain name stays with the first.
        HalibutRuntime.ServiceRegistration again = tentacle.register(Greeter.class, name -> "again");
        assertThat(client.greet("bob")).isEqualTo("hello bob");
        again.close();
        reg.close();
        assertThatThrownBy(() -> client.greet("x")).isInstanceOf(ServiceNotFoundException.class);
        // Closing twice is harmless and does not remove a later registration under the same name.
        HalibutRuntime.ServiceRegistration second = tentacle.register(Greeter.class, name -> "hi " + name);
        reg.close();
        assertThat(client.greet("ann")).isEqualTo("hi ann");
        second.close();
    }

    @Test
    void closedRuntimeRefusesNewClients() {
        octopus.close();
        assertThatThrownBy(() -> octopus.createClient(Calculator.class, endpoint)).isInstanceOf(IllegalStateException.class);
    }
}
