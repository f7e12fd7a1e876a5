package dev.halibut.wire;

import java.util.concurrent.TimeUnit;

/**
 * How many bytes the messages a runtime is still receiving may hold in all, across its connections
 * ({@code HalibutLimits.incompleteMessageBudget}). A {@link FrameReader} takes from it as a large message's
 * bytes arrive and gives everything back once the frame is complete or has failed, so peers that announce
 * large messages and then stall cannot make the host reserve more than this. Thread-safe.
 */
public final class MessageMemoryBudget {

    private final long capacity;
    private long used;
    private int waiting;

    /** @param capacity the bytes that may be held at once; at least 1 */
    public MessageMemoryBudget(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1 byte, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** A budget nothing ever waits for: for readers whose messages are bounded by other means (tests, tools). */
    public static MessageMemoryBudget unbounded() {
        return new MessageMemoryBudget(Long.MAX_VALUE);
    }

    /**
     * Takes {@code bytes}, waiting at most {@code timeoutNanos} for others to give enough back.
     *
     * @return whether the bytes were taken; {@code false} leaves the budget as it was
     * @throws InterruptedException the waiting thread was interrupted; nothing was taken
     */
    public synchronized boolean reserve(long bytes, long timeoutNanos) throws InterruptedException {
        if (bytes <= 0) {
            return true;
        }
        if (bytes > capacity) {
            return false;
        }
        long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
        waiting++;
        try {
            while (capacity - used < bytes) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } finally {
            waiting--;
        }
        used += bytes;
        return true;
    }

    /** Gives back {@code bytes} taken with {@link #reserve}. */
    public synchronized void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        used = Math.max(0, used - bytes);
        notifyAll();
    }

    /** Bytes taken now. */
    public synchronized long used() {
        return used;
    }

    /** Readers waiting for memory now (for tests and diagnostics). */
    public synchronized int waiting() {
        return waiting;
    }

    /** The most that may be taken at once. */
    public long capacity() {
        return capacity;
    }
}
