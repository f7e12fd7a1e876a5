package dev.halibut.itests;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition by polling it until a deadline: the tests' only way to wait for something that
 * happens asynchronously (a service appearing, a component changing state, a configuration taking
 * effect). No fixed sleeps.
 */
final class Await {

    /** Long enough for a Config Admin update to reach the registry and a runtime to be replaced on a busy machine. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /**
     * Returns the first non-null value {@code probe} gives within {@code timeout}; otherwise fails with
     * {@code what} (evaluated at the deadline, so it can describe the state then) and the last exception
     * {@code probe} threw, if any.
     */
    static <T> T value(Supplier<String> what, Duration timeout, Supplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                T value = probe.get();
                if (value != null) {
                    return value;
                }
                last = null;
            } catch (RuntimeException e) {
                last = e; // e.g. a service going away between lookup and use: try again until the deadline
            }
            if (System.nanoTime() - deadline >= 0) {
                AssertionError failure = new AssertionError("Timed out after " + timeout.toMillis() + " ms waiting for "
                        + describe(what));
                if (last != null) {
                    failure.initCause(last);
                }
                throw failure;
            }
            try {
                Thread.sleep(POLL_MILLIS); // the polling interval, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted waiting for " + describe(what), e);
            }
        }
    }

    private static String describe(Supplier<String> what) {
        try {
            return what.get();
        } catch (RuntimeException e) {
            return "(a condition whose description failed: " + e + ")";
        }
    }

    static <T> T value(String what, Supplier<T> probe) {
        return value(() -> what, DEFAULT_TIMEOUT, probe);
    }

    /** Waits until {@code condition} holds, or fails with {@code what} as it reads at the deadline. */
    static void until(Supplier<String> what, Duration timeout, BooleanSupplier condition) {
        value(what, timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    static void until(Supplier<String> what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    static void until(String what, BooleanSupplier condition) {
        until(() -> what, DEFAULT_TIMEOUT, condition);
    }
}
