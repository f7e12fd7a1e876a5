package dev.halibut.polling.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The threads that all pollers of one runtime share for their blocking work, serving a request, and the runtime's
 * connect slots: at most {@link #MAX_CONNECTING} connects (TCP connect, TLS handshake and identification) run at once.
 * A connect holds a slot, not a thread: it runs on the event loops ({@code TlsConnector.connectAsync}), and only its
 * brief steps (resolving the listener's host name, taking the outcome) run here ({@link #connectSteps()}). A
 * poller that waits for the listener's next frame holds none of them either: its connection's event loop calls it back
 * ({@link Poller}). The pool grows with the requests served at once (as a thread per poller would have allowed: a
 * poller never waits for another's long call) and its idle threads end after {@code keepAlive}. Backoffs before a
 * reconnect are timers on {@code timer}, which the owner of the runtime keeps running until its pollers have ended.
 * Owns its threads: {@link #shutdown()} and {@link #awaitTermination} end them.
 */
public final class PollingWorkers {

    /**
     * Connects (TLS handshake and identification) that run at once, for all pollers of the runtime; the others wait
     * for a slot, without a thread. A connect holds its slot (not a thread) until its handshake ends, and handshakes
     * share the event loops on both sides: thousands at once (after a listener restart, or a ramp faster than the listener
     * handshakes) would all go slower than the connect and handshake timeouts and fail together, again and again.
     * A handshake is CPU work on two cores here and a few round trips on a network: 16 at once keep both sides busy
     * and each handshake quick (64 at once still timed out in a JVM that had just started, on a loaded machine). A
     * listener that drops connection attempts unanswered costs its pollers a slot each for up to the connect timeout,
     * so it slows, but does not stop, connects to other listeners.
     */
    static final int MAX_CONNECTING = 16;

    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timer;
    private final ConcurrentLinkedQueue<PendingConnect> waitingConnects = new ConcurrentLinkedQueue<>();
    private final AtomicInteger connecting = new AtomicInteger();

    /**
     * @param threadNamePrefix names of the threads, each followed by a number ({@code halibut-1-poll-} gives
     *                         {@code halibut-1-poll-1}, ...)
     * @param keepAlive        how long a thread with nothing to do waits for work before it ends
     * @param timer            runs the backoff timers (not owned: it must run until the pollers have ended)
     */
    public PollingWorkers(String threadNamePrefix, Duration keepAlive, ScheduledExecutorService timer) {
        AtomicInteger ids = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, keepAlive.toNanos(), TimeUnit.NANOSECONDS,
                new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, threadNamePrefix + ids.incrementAndGet());
            // A daemon, as a poller's own thread was: a service call that ignores interruption must not keep the JVM alive.
            t.setDaemon(true);
            return t;
        });
        this.timer = timer;
    }

    /**
     * Runs {@code task} on a thread of the pool (a new one if none is free).
     *
     * @throws RejectedExecutionException the pool is shut down
     */
    void execute(Runnable task) {
        pool.execute(task);
    }

    /**
     * Starts a connect ({@code start}, which must not block: it returns the connect's outcome) as soon as fewer than
     * {@link #MAX_CONNECTING} connects are under way, on the calling thread or on the one that ends another connect;
     * the connect holds its slot, without a thread, until the stage {@code start} returned completes. Calls
     * {@code rejected} instead (on one of those threads) once the pool is shut down. Never blocks.
     */
    void connect(Supplier<? extends CompletableFuture<?>> start, Runnable rejected) {
        waitingConnects.add(new PendingConnect(start, rejected));
        startConnects();
    }

    /**
     * Where a connect's brief steps run: resolving the listener's host name and taking the outcome (for
     * {@code TlsConnector.connectAsync}); it rejects them once the pool is shut down.
     */
    Executor connectSteps() {
        return pool;
    }

    /**
     * Runs {@code task} on the timer's thread after {@code delay} (a backoff); it must not block.
     *
     * @throws RejectedExecutionException the timer is shut down
     */
    ScheduledFuture<?> after(Duration delay, Runnable task) {
        return timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Starts waiting connects while a slot is free. */
    private void startConnects() {
        while (!waitingConnects.isEmpty()) {
            int n = connecting.get();
            if (n >= MAX_CONNECTING) {
                return; // a connect that ends calls this again
            }
            if (!connecting.compareAndSet(n, n + 1)) {
                continue;
            }
            PendingConnect next = waitingConnects.poll();
            if (next == null) {
                connecting.decrementAndGet(); // another thread took the last one; look again
                continue;
            }
            if (pool.isShutdown()) {
                connecting.decrementAndGet();
                next.rejected.run();
                continue;
            }
            CompletableFuture<?> underWay;
            try {
                underWay = next.start.get();
            } catch (RuntimeException e) {
                connecting.decrementAndGet();
                throw e; // a bug of the poller's: its own thread hears of it
            }
            if (underWay.isDone()) {
                // Over already (a stopped poller's): the next one, in this loop, not in a callback nested in it,
                // so that thousands of stopped pollers cannot overflow the stack.
                connecting.decrementAndGet();
                continue;
            }
            underWay.whenComplete((ignored, failure) -> {
                connecting.decrementAndGet();
                startConnects();
            });
        }
    }

    private record PendingConnect(Supplier<? extends CompletableFuture<?>> start, Runnable rejected) {
    }

    /** Takes no new work; idle threads end now, busy ones when their task returns. Does not wait. */
    public void shutdown() {
        pool.shutdown();
    }

    /**
     * Waits at most {@code timeout} for every thread to end (after {@link #shutdown()}).
     *
     * @return whether they all ended; a thread serving a call that ignores interruption does not
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return pool.awaitTermination(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
    }
}
