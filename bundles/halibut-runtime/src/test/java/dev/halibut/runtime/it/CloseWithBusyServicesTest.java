package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import dev.halibut.runtime.PollingSubscription;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Closing a service host while four calls are running in it, each meant to take 30 s, in both modes: close
 * returns within {@link HalibutRuntime#CLOSE_TIMEOUT}, the callers fail at once instead of hanging, and no
 * thread, socket or temporary file of the service host is left (except, for a service that ignores
 * interruption, the daemon threads of its calls, until they return).
 */
class CloseWithBusyServicesTest {

    /**
     * What close() is held to: the documented bound plus slack for scheduling on a loaded machine. A
     * correctness bound (before the fix, four busy pollers took 20 s), not a speed benchmark.
     */
    private static final Duration BOUND = HalibutRuntime.CLOSE_TIMEOUT.plusSeconds(2);
    private static final URI SUBSCRIPTION = URI.create("poll://busy-host/");
    private static final int CALLS = 4;
    /** Larger than what is kept in memory, so an upload stored by mistake would show as a temporary file. */
    private static final int UPLOAD = 100 * 1024;


    /** A call that takes as long as the service decides. */
    public interface Hold {
        /** Holds the call (up to 30 s); returns the upload's length. */
        long hold(DataStream upload) throws InterruptedException;
    }

    /** Holds its calls on a latch: an interrupt ends the wait with InterruptedException, as it should. */
    static class InterruptibleHold implements Hold {
        final CountDownLatch entered = new CountDownLatch(CALLS);
        final CountDownLatch release = new CountDownLatch(1);
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        @Override
        public long hold(DataStream upload) throws InterruptedException {
            threads.add(Thread.currentThread());
            entered.countDown();
            release.await(30, TimeUnit.SECONDS);
            return upload.length();
        }
    }

    /** Holds its calls and swallows every interrupt: what the JVM cannot stop. */
    static final class StubbornHold extends InterruptibleHold {
        final AtomicInteger interruptsIgnored = new AtomicInteger();

        @Override
        public long hold(DataStream upload) {
            threads.add(Thread.currentThread());
            entered.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < until) {
                try {
                    if (release.await(until - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interruptsIgnored.incrementAndGet();
                }
            }
            return upload.length();
        }
    }

    @TempDir
    Path tentacleTemp;
    private final List<HalibutRuntime> runtimes = new ArrayList<>();
    private final ExecutorService callers = Executors.newFixedThreadPool(CALLS);
    private InterruptibleHold service;

    @AfterEach
    void stop() throws InterruptedException {
        if (service != null) {
            service.release.countDown();
        }
        runtimes.forEach(HalibutRuntime::close);
        callers.shutdownNow();
        ThreadLeaks.assertNoHalibutThreads();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeInterruptsBusyCallsAnswersShuttingDownAndLeavesNothing(Mode mode) throws Exception {
        long socketsBefore = SocketLeaks.openSockets();
        service = new InterruptibleHold();
        Busy busy = startFourCalls(mode, service);

        Duration took = timeClose(busy.tentacle);

        assertThat(took).as("close() with %d busy calls (%s)", CALLS, mode).isLessThan(BOUND);
        for (Future<Long> call : busy.calls) {
            assertThatThrownBy(() -> call.get(BOUND.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("Hold.hold was interrupted: the service host is shutting down");
        }
        assertThreadsEnded(service.threads);
        assertThat(threadsOfServiceHost(mode)).as("threads of the closed service host").isEmpty();
        assertThat(temporaryFiles()).as("temporary files of the closed service host").isEmpty();
        busy.octopus.close();
        ThreadLeaks.assertNoHalibutThreads();
        SocketLeaks.assertBackTo(socketsBefore, Duration.ofSeconds(10));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeIsBoundedEvenWhenTheServiceIgnoresInterruption(Mode mode) throws Exception {
        long socketsBefore = SocketLeaks.openSockets();
        StubbornHold stubborn = new StubbornHold();
        service = stubborn;
        Busy busy = startFourCalls(mode, stubborn);

        Duration took = timeClose(busy.tentacle);

        assertThat(took).as("close() with %d calls that ignore interruption (%s)", CALLS, mode).isLessThan(BOUND);
        assertThat(stubborn.interruptsIgnored).as("interrupts sent to the running calls").hasValueGreaterThanOrEqualTo(CALLS);
        for (Future<Long> call : busy.calls) {
            // The connection was closed under the call: a connection failure, promptly, not a 30 s hang.
            assertThatThrownBy(() -> call.get(BOUND.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(HalibutClientException.class);
        }
        assertThat(temporaryFiles()).as("temporary files of the closed service host").isEmpty();
        // The only survivors: the threads of the calls the JVM cannot stop, daemons that do not hold the JVM.
        assertThat(service.threads).hasSize(CALLS).allSatisfy(t -> assertThat(t.isDaemon()).isTrue());
        assertThat(threadsOfServiceHost(mode)).containsExactlyInAnyOrderElementsOf(service.threads);

        stubborn.release.countDown();
        assertThreadsEnded(service.threads);
        assertThat(threadsOfServiceHost(mode)).isEmpty();
        busy.octopus.close();
        ThreadLeaks.assertNoHalibutThreads();
        SocketLeaks.assertBackTo(socketsBefore, Duration.ofSeconds(10));
    }

    @Test
    void closingAPollingSubscriptionWithBusyCallsIsBoundedAndLeavesTheRuntimeServing() throws Exception {
        service = new InterruptibleHold();
        Busy busy = startFourCalls(Mode.POLLING, service);
        PollingSubscription sub = busy.subscription;

        long start = System.nanoTime();
        sub.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).as("closing a subscription with %d busy calls", CALLS).isLessThan(BOUND);
        for (Future<Long> call : busy.calls) {
            assertThatThrownBy(() -> call.get(BOUND.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("Hold.hold was interrupted: the service host is shutting down");
        }
        assertThreadsEnded(service.threads);
        assertThat(threadsOfServiceHost(Mode.POLLING)).as("poll threads of the closed subscription").isEmpty();
        assertThat(busy.tentacle.status().subscriptions()).isEmpty();

        // The runtime itself serves on: a new subscription collects and answers a call.
        PollingSubscription again = busy.tentacle.poll(SUBSCRIPTION, busy.subscription.listener());
        Await.until("the new polling connection", Duration.ofSeconds(30), () -> again.connectedCount() == 1);
        service.release.countDown();
        assertThat(busy.client.hold(DataStream.fromBytes(new byte[] {1, 2, 3}))).isEqualTo(3);
    }

    /** The two runtimes, the client, the calls running, and (in polling mode) the tentacle's subscription. */
    private record Busy(HalibutRuntime octopus, HalibutRuntime tentacle, Hold client, PollingSubscription subscription,
                        List<Future<Long>> calls) {
    }

    /** A caller (octopus) and a service host (tentacle) in {@code mode}, with four calls running in the host. */
    private Busy startFourCalls(Mode mode, InterruptibleHold hold) throws Exception {
        HalibutRuntime octopus = track(HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build());
        HalibutRuntime tentacle = track(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Hold.class, hold).temporaryDirectory(tentacleTemp).build());
        ModeWiring.Wired wired = ModeWiring.wire(mode, octopus, tentacle, SUBSCRIPTION, ModeWiring.Relay.NONE, CALLS);
        PollingSubscription sub = wired.subscription();
        if (sub != null) {
            Await.until(CALLS + " polling connections", Duration.ofSeconds(30), () -> sub.connectedCount() == CALLS);
        }
        Hold client = octopus.createClient(Hold.class, wired.endpoint());
        List<Future<Long>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            calls.add(callers.submit(() -> client.hold(DataStream.fromBytes(new byte[UPLOAD]))));
        }
        assertThat(hold.entered.await(30, TimeUnit.SECONDS)).as("all %d calls running in the service", CALLS).isTrue();
        // The services hold their uploads unread: they wait on their connections, not in temporary files.
        assertThat(temporaryFiles()).as("temporary files of the running calls").isEmpty();
        return new Busy(octopus, tentacle, client, sub, calls);
    }

    private HalibutRuntime track(HalibutRuntime r) {
        runtimes.add(r);
        return r;
    }

    private static Duration timeClose(HalibutRuntime r) {
        long start = System.nanoTime();
        r.close();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * The threads that belong to the service host's side only: its poll threads in polling mode, the
     * listener's threads in listening mode (the caller has neither).
     */
    private static List<Thread> threadsOfServiceHost(Mode mode) {
        return ThreadLeaks.halibutThreads().stream()
                .filter(t -> mode == Mode.POLLING ? t.getName().contains("-poll-") : t.getName().startsWith("halibut-listener-"))
                .toList();
    }

    /** A thread that has finished its last task may take a moment to be gone: join each, bounded. */
    private static void assertThreadsEnded(Set<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            t.join(BOUND.toMillis());
        }
        assertThat(threads).as("threads that ran the service calls").noneMatch(Thread::isAlive);
    }

    private List<Path> temporaryFiles() throws IOException {
        try (Stream<Path> files = java.nio.file.Files.list(tentacleTemp)) {
            return files.toList();
        }
    }
}
