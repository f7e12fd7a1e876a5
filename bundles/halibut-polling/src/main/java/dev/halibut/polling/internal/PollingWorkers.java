package dev.halibut.polling.internal;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that all pollers of one runtime share for their blocking work: connecting to the listener (a TLS
 * handshake and the identification exchange; at most {@link #MAX_CONNECTING} at once) and serving a request. A
 * poller that waits for the listener's next frame holds none of them: its connection's event loop calls it back
 * ({@link Poller}). The pool grows with the requests served at once (as a thread per poller would have allowed: a
 * poller never waits for another's long call) and its idle threads end after {@code keepAlive}. Backoffs before a
 * reconnect are timers on {@code timer}, which the owner of the runtime keeps running until its pollers have ended.
 * Owns its threads: {@link #shutdown()} and {@link #awaitTermination} end them.
 */
public final class PollingWorkers {

    /**
     * Connects (TLS handshake and identification) that run at once, for all pollers of the runtime; the others wait
     * for a slot, without a thread. A connect holds its thread until its handshake ends, and handshakes share the
     * event loops on both sides: thousands at once (after a listener restart, or a ramp faster than the listener
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
     * Runs a connect ({@code task}) on a thread of the pool as soon as fewer than {@link #MAX_CONNECTING} connects
     * run; or calls {@code rejected} (on the calling thread or the one that ends another connect) when the pool is
     * shut down. Never blocks.
     */
    void connect(Runnable task, Runnable rejected) {
        waitingConnects.add(new PendingConnect(task, rejected));
        startConnects();
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
            try {
                pool.execute(() -> {
                    try {
                        next.task.run();
                    } finally {
                        connecting.decrementAndGet();
                        startConnects();
                    }
                });
            } catch (RejectedExecutionException e) {
                connecting.decrementAndGet();
                next.rejected.run();
            }
        }
    }

    private record PendingConnect(Runnable task, Runnable rejected) {
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
