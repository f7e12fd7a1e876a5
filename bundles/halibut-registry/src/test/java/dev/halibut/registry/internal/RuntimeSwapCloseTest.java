package dev.halibut.registry.internal;

import dev.halibut.registry.config.HalibutConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A configuration change that replaces the runtime while it serves busy calls, in both modes (two calls
 * arrive through its listener, two through its polling subscription, made by a {@link PollComponent} as DS
 * would): the swap returns within {@link HalibutRuntime#CLOSE_TIMEOUT} (plus slack), the callers get the
 * "shutting down" answer, the old runtime's threads end, and the new runtime is registered. The framework
 * is stood in for by a minimal {@link BundleContext} that records registrations; DS by the test deactivating
 * the poll component when the old runtime's service is unregistered.
 */
class RuntimeSwapCloseTest {

    /** The documented bound plus slack for scheduling on a loaded machine: a correctness bound. */
    private static final Duration BOUND = HalibutRuntime.CLOSE_TIMEOUT.plusSeconds(2);
    private static final URI SUBSCRIPTION = URI.create("poll://swapped-host/");
    private static final CertificateAndKey CALLER = Certificates.generateSelfSigned("caller");

    /** A call that takes as long as the service decides. */
    public interface Hold {
        long hold(DataStream upload) throws InterruptedException;
    }

    static final class InterruptibleHold implements Hold {
        final CountDownLatch entered = new CountDownLatch(4);
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        @Override
        public long hold(DataStream upload) throws InterruptedException {
            threads.add(Thread.currentThread());
            entered.countDown();
            new CountDownLatch(1).await(30, TimeUnit.SECONDS);
            return upload.length();
        }
    }

    /** What the stand-in framework saw registered, and what unregistering the runtime did. */
    private final List<HalibutRuntime> registered = new ArrayList<>();
    private final List<HalibutRuntime> unregistered = new ArrayList<>();
    private final Map<HalibutRuntime, Runnable> dependants = new HashMap<>();
    private final ExecutorService callers = Executors.newFixedThreadPool(4);
    private final List<HalibutRuntime> others = new ArrayList<>();
    private RuntimeComponent component;

    @TempDir
    Path data;

    @AfterEach
    void stop() {
        if (component != null) {
            component.deactivate();
        }
        others.forEach(HalibutRuntime::close);
        callers.shutdownNow();
    }

    @Test
    void aConfigurationChangeClosesTheOldRuntimeWithinTheBoundWhileItsCallsAreBusy() throws Exception {
        HalibutRuntime caller = HalibutRuntime.builder().certificate(CALLER.certificate(), CALLER.privateKey()).build();
        others.add(caller);
        int callerPort = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        component = new RuntimeComponent();
        Map<String, Object> config = new HashMap<>(Map.of(HalibutConfig.LISTEN_PORT, "0",
                HalibutConfig.LISTEN_ADDRESS, "127.0.0.1", HalibutConfig.TRUSTED_THUMBPRINTS, caller.thumbprint()));
        component.activate(bundleContext(), config);
        assertThat(registered).hasSize(1);
        HalibutRuntime old = registered.get(0);
        InterruptibleHold service = new InterruptibleHold();
        old.register(Hold.class, service); // as the exporter would
        caller.trust(old.thumbprint());
        PollComponent poll = new PollComponent(old, Map.of("subscription", SUBSCRIPTION.toString(),
                "endpoint", "https://localhost:" + callerPort + "/", "thumbprint", caller.thumbprint(),
                "connections", "2"));
        dependants.put(old, poll::deactivate);

        int oldPort = old.status().listening().get(0).getPort();
        Hold listening = caller.createClient(Hold.class,
                new ServiceEndPoint(URI.create("https://localhost:" + oldPort + "/"), old.thumbprint()));
        Hold polling = caller.createClient(Hold.class, new ServiceEndPoint(SUBSCRIPTION, old.thumbprint()));
        List<Future<Long>> calls = new ArrayList<>();
        for (Hold h : List.of(listening, listening, polling, polling)) {
            calls.add(callers.submit(() -> h.hold(DataStream.fromBytes(new byte[100 * 1024]))));
        }
        assertThat(service.entered.await(30, TimeUnit.SECONDS)).as("four calls running in the old runtime").isTrue();

        config.put("response.timeout", "5m"); // anything but trust needs a new runtime
        long start = System.nanoTime();
        component.modified(config);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).as("replacing a runtime with four busy calls").isLessThan(BOUND);
        assertThat(unregistered).containsExactly(old);
        assertThat(registered).hasSize(2);
        assertThat(registered.get(1)).isNotSameAs(old);
        for (Future<Long> call : calls) {
            assertThatThrownBy(() -> call.get(BOUND.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("the service host is shutting down");
        }
        for (Thread t : service.threads) {
            t.join(BOUND.toMillis());
        }
        assertThat(service.threads).as("threads that ran the calls in the old runtime").hasSize(4)
                .noneMatch(Thread::isAlive);
        assertThatThrownBy(() -> old.createClient(Hold.class, new ServiceEndPoint(SUBSCRIPTION, old.thumbprint())))
                .isInstanceOf(IllegalStateException.class);

        component.deactivate();
        component = null;
        caller.close();
        awaitNoHalibutThreads();
    }

    /** Every Halibut thread ends once all runtimes are closed (a pool thread may take a moment after its last task). */
    private static void awaitNoHalibutThreads() {
        long deadline = System.nanoTime() + BOUND.toNanos();
        List<String> left;
        while (!(left = halibutThreads()).isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
        assertThat(left).as("Halibut threads alive after every runtime closed").isEmpty();
    }

    private static List<String> halibutThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("halibut-")).toList();
    }

    /** Just enough framework for RuntimeComponent: registering its runtime and a data directory. */
    private BundleContext bundleContext() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "registerService" -> registration((HalibutRuntime) args[1], (Dictionary<?, ?>) args[2]);
                    case "getDataFile" -> data.resolve((String) args[0]).toFile();
                    default -> throw new UnsupportedOperationException("BundleContext." + method.getName());
                });
    }

    private ServiceRegistration<?> registration(HalibutRuntime runtime, Dictionary<?, ?> properties) {
        assertThat(properties.get(RuntimeComponent.THUMBPRINT_PROPERTY)).isEqualTo(runtime.thumbprint());
        registered.add(runtime);
        return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (proxy, method, args) -> {
                    if (method.getName().equals("unregister")) {
                        unregistered.add(runtime);
                        dependants.getOrDefault(runtime, () -> { }).run(); // DS deactivates what referenced it
                        return null;
                    }
                    throw new UnsupportedOperationException("ServiceRegistration." + method.getName());
                });
    }
}
