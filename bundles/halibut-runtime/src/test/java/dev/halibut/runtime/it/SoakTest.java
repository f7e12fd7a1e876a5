package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.testing.FaultInjectingProxy;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many calls through a proxy that resets every connection at random moments (seeded), in both modes: every
 * call ends with its result or a documented failure, nothing runs twice, a call that succeeded ran exactly
 * once, and the heap after garbage collection stays flat.
 *
 * <p>CI runs 20,000 calls (10,000 per mode). On demand (docs/testing.md, "Soak"):
 * {@code mvn -B -pl bundles/halibut-runtime test -Dtest=SoakTest -Dhalibut.soak.calls=1000000}
 * and optionally {@code -Dhalibut.soak.seed=<n>} to replay a run; the seed is printed either way.
 */
class SoakTest {

    enum Mode { LISTENING, POLLING }

    private static final int CALLS = Integer.getInteger("halibut.soak.calls", 20_000);
    private static final long SEED = Long.getLong("halibut.soak.seed", 20261125L);
    /** On average one reset of every connection per this many calls. */
    private static final int RESET_EVERY = Integer.getInteger("halibut.soak.resetEvery", 400);
    private static final int CALLERS = 8;
    private static final int HEAP_SAMPLES = 10;
    /**
     * Live heap may grow by at most this from the start to the end of the run, each end taken as the lowest of
     * its three samples: a sample can only be too high (something transient not yet collected), never too
     * low, while a leak raises all of them.
     */
    private static final long HEAP_GROWTH_BOUND = 8L * 1024 * 1024;
    private static final URI SUBSCRIPTION = URI.create("poll://soak/");

    public interface Counter {
        int run(int id);
    }

    @TempDir
    Path temp;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void callsWithRandomConnectionResetsLoseNothingRunNothingTwiceAndKeepTheHeapFlat(Mode mode) throws Exception {
        int calls = CALLS / 2;
        long seed = SEED + mode.ordinal();
        System.out.printf("Soak %s: %d calls, seed %d (replay with -Dhalibut.soak.seed=%d), a reset every ~%d calls%n",
                mode, calls, seed, SEED, RESET_EVERY);
        AtomicIntegerArray executions = new AtomicIntegerArray(calls);
        // 0 = not ended, 1 = result, 2 = documented failure
        AtomicIntegerArray outcomes = new AtomicIntegerArray(calls);
        Map<String, Integer> failureKinds = new ConcurrentHashMap<>();
        long socketsBefore = SocketLeaks.openSockets();
        HalibutLimits limits = HalibutLimits.defaults().withResponseTimeout(Duration.ofSeconds(30));
        HalibutRuntime caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(limits).temporaryDirectory(temp).build();
        HalibutRuntime serviceHost = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .timeouts(limits).temporaryDirectory(temp)
                .service(Counter.class, id -> {
                    executions.incrementAndGet(id);
                    return id;
                }).build();
        FaultInjectingProxy proxy;
        Counter counter;
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (mode == Mode.LISTENING) {
            int port = serviceHost.listen(loopback);
            serviceHost.trust(caller.thumbprint());
            proxy = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            counter = caller.createClient(Counter.class,
                    new ServiceEndPoint(URI.create("https://localhost:" + proxy.port() + "/"), serviceHost.thumbprint()));
        } else {
            int port = caller.listen(loopback);
            caller.trust(serviceHost.thumbprint());
            proxy = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            PollingSubscription sub = serviceHost.poll(SUBSCRIPTION, new ServiceEndPoint(
                    URI.create("https://localhost:" + proxy.port() + "/"), caller.thumbprint()), 4);
            Await.until("4 poller connections", Duration.ofSeconds(30), () -> sub.connectedCount() == 4);
            counter = caller.createClient(Counter.class, new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint()));
        }

        Random random = new Random(seed);
        int resets = 0;
        List<Long> heap = new ArrayList<>();
        Semaphore inFlight = new Semaphore(CALLERS);
        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < calls; i++) {
                if (i > 0 && i % (calls / HEAP_SAMPLES) == 0) {
                    heap.add(usedHeapAfterGc());
                }
                inFlight.acquire();
                if (random.nextInt(RESET_EVERY) == 0) {
                    proxy.killAll();
                    resets++;
                }
                int id = i;
                Counter c = counter;
                pool.execute(() -> {
                    try {
                        int r = c.run(id);
                        outcomes.set(id, r == id ? 1 : 3);
                    } catch (HalibutClientException e) {
                        outcomes.set(id, saysItDidNotRun(e) ? 5 : 2);
                        failureKinds.merge(kind(e.getMessage()), 1, Integer::sum);
                    } catch (RuntimeException e) {
                        outcomes.set(id, 4);
                        failureKinds.merge("undocumented " + e, 1, Integer::sum);
                    } finally {
                        inFlight.release();
                    }
                });
            }
            assertThat(inFlight.tryAcquire(CALLERS, 120, TimeUnit.SECONDS)).as("every call ended").isTrue();
            heap.add(usedHeapAfterGc());
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            caller.close();
            serviceHost.close();
            proxy.close();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        int succeeded = 0;
        int failed = 0;
        int failedButRan = 0;
        for (int i = 0; i < calls; i++) {
            int outcome = outcomes.get(i);
            assertThat(outcome).as("outcome of call %d (1 result, 2 documented failure, 5 \"did not run\")", i)
                    .isIn(1, 2, 5);
            assertThat(executions.get(i)).as("executions of call %d", i).isLessThanOrEqualTo(1);
            if (outcome == 5) {
                // The caller was told the request did not run: the service must indeed never have seen it.
                assertThat(executions.get(i)).as("executions of call %d, reported \"did not run\"", i).isZero();
            }
            if (outcome == 1) {
                succeeded++;
                assertThat(executions.get(i)).as("executions of successful call %d", i).isEqualTo(1);
            } else {
                failed++;
                failedButRan += executions.get(i);
            }
        }
        System.out.printf("Soak %s: %d calls in %d ms (%d/s), %d resets, %d succeeded, %d failed (%d of them had run): %s;"
                        + " used heap after GC at each tenth (MiB): %s%n", mode, calls, millis,
                calls * 1000L / Math.max(1, millis), resets, succeeded, failed, failedButRan, failureKinds,
                heap.stream().map(b -> String.format("%.1f", b / 1048576.0)).toList());
        // A reset can only fail the calls in flight at that moment.
        assertThat(failed).as("failed calls").isLessThanOrEqualTo((resets + 1) * (CALLERS + 4));
        assertThat(failureKinds.keySet()).allSatisfy(k -> assertThat(k).doesNotStartWith("undocumented"));
        // Heap flat: the lowest of the first three samples against the lowest of the last three.
        long early = heap.subList(0, 3).stream().mapToLong(Long::longValue).min().orElseThrow();
        long late = heap.subList(heap.size() - 3, heap.size()).stream().mapToLong(Long::longValue).min().orElseThrow();
        assertThat(late - early).as("live heap growth over the run (bytes)").isLessThanOrEqualTo(HEAP_GROWTH_BOUND);

        ThreadLeaks.assertNoHalibutThreads();
        SocketLeaks.assertBackTo(socketsBefore, Duration.ofSeconds(10));
        try (Stream<Path> files = Files.list(temp)) {
            assertThat(files.toList()).isEmpty();
        }
    }

    private static boolean saysItDidNotRun(HalibutClientException e) {
        return e.getMessage() != null && e.getMessage().contains("did not run");
    }

    private static String kind(String message) {
        if (message == null) {
            return "no message";
        }
        for (String k : new String[] {"may have run", "not collected", "Could not connect"}) {
            if (message.contains(k)) {
                return k;
            }
        }
        return "other: " + message;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
