package dev.halibut.runtime.it;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a bound, for states that have no event to wait on (socket counts). */
public final class Await {
    private Await() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    /**
     * As {@link #until}, for a condition that only garbage collection makes true (a dropped stream whose connection
     * is closed once the stream is collected): asks for a collection before each look.
     */
    public static void untilCollected(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, () -> {
            System.gc();
            LockSupport.parkNanos(8_000_000);
            return condition.getAsBoolean();
        });
    }
}
