package dev.halibut.transport;

import java.util.concurrent.TimeUnit;

/**
 * A wait (for a retry backoff) that {@link #stop()} ends at once, so closing a runtime never waits
 * for a backoff to run out.
 */
public final class StoppableWait {

    private final Object lock = new Object();
    private boolean stopped;

    /**
     * Waits {@code nanos}, or less if stopped.
     *
     * @return {@code false} if stopped (before or during the wait)
     * @throws InterruptedException the waiting thread was interrupted
     */
    public boolean await(long nanos) throws InterruptedException {
        long until = System.nanoTime() + nanos;
        synchronized (lock) {
            long left;
            while (!stopped && (left = until - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return !stopped;
        }
    }

    /** Ends current and future waits. */
    public void stop() {
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
    }
}
