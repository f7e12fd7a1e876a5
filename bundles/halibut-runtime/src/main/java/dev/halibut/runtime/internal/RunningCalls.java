package dev.halibut.runtime.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The service calls running now on the threads of one source of requests (a runtime's listeners, or one
 * polling subscription), so that closing that source can interrupt them and wait, with a bound, for them
 * to answer. Cancelling is final: a call that starts afterwards is not run but answered "shutting down".
 * Thread-safe; entering and leaving a call costs a concurrent-set update and a volatile read.
 */
final class RunningCalls {

    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private volatile boolean cancelled;

    /**
     * Registers the current thread as running a call; {@link #exit()} must follow in every case.
     *
     * @return {@code false} if this source is cancelled already: answer "shutting down" without running it
     */
    boolean enter() {
        threads.add(Thread.currentThread());
        return !cancelled;
    }

    /** The current thread's call is over (its response sent, or the exchange failed). */
    void exit() {
        if (!cancelled) {
            threads.remove(Thread.currentThread());
            if (!cancelled) {
                return;
            }
        }
        // Under the lock that cancel() interrupts under: once this returns, this thread (which goes back to a pool
        // shared with other subscriptions and may serve their calls next) is never interrupted for this source.
        synchronized (lock) {
            threads.remove(Thread.currentThread());
            lock.notifyAll();
        }
    }

    boolean isCancelled() {
        return cancelled;
    }

    /**
     * Interrupts every running call and refuses new ones. Registration comes before the check in
     * {@link #enter()} and the flag before the interrupts here, so a call starting concurrently is either
     * refused or interrupted (or both).
     */
    void cancel() {
        synchronized (lock) {
            cancelled = true;
            for (Thread t : threads) {
                t.interrupt();
            }
        }
    }

    /**
     * Waits until no call runs (other than one on the calling thread itself) or {@code deadlineNanos}
     * ({@link System#nanoTime()}) passes.
     *
     * @return whether none is left running
     */
    boolean awaitNone(long deadlineNanos) throws InterruptedException {
        Thread self = Thread.currentThread();
        synchronized (lock) {
            while (true) {
                if (threads.stream().allMatch(t -> t == self)) {
                    return true;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }

    /** Names of the threads running calls now (for the message about calls that ignore interruption). */
    List<String> threadNames() {
        return threads.stream().map(Thread::getName).sorted().toList();
    }
}
