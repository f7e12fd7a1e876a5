package dev.halibut.wire.fuzz;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * The contract every decoder of hostile input is held to by the fuzz tests: a step either returns or
 * throws one of the exception types its Javadoc documents, and it allocates no more than its bound.
 *
 * <p>Anything else (a {@link RuntimeException}, an {@link Error} such as {@link OutOfMemoryError} or
 * {@link StackOverflowError}, a checked exception of another type) is rethrown, so Jazzer records the
 * input as a finding. Hangs are caught by the {@code @Timeout} on each fuzz test: in regression mode JUnit
 * enforces it per input (in a separate thread, so even a busy loop fails the test); while fuzzing, Jazzer
 * turns it into libFuzzer's per-input timeout and the module's jazzer-fuzzing profile switches JUnit's off.
 *
 * <p>Allocation is measured with the JVM's per-thread allocation counter, so it counts every byte the
 * step allocated, including what became garbage at once. A step over its bound is run a second time
 * before it is reported: the first run of a code path may load (and, under Jazzer, instrument) classes
 * or fill Jackson's caches, which is allocation on this thread that the input did not cause.
 */
final class Decoding {

    /**
     * Room for exceptions (stack traces are deep under JUnit), their messages, small objects, and Jazzer's
     * hooks, which run on this thread: binding a 60-byte response as BigDecimal allocates 7 KB in a plain JVM
     * but 490 KB under Jazzer. Allocations sized by a declared length are orders of magnitude above this.
     */
    static final long OVERHEAD = 1024 * 1024;

    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private Decoding() {
    }

    /** A decoding step, run once per measurement. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws Exception;
    }

    /**
     * What a step did: its value, or the documented exception it threw.
     *
     * @param value     the value, when accepted
     * @param rejection the documented exception, when rejected
     */
    record Outcome<T>(T value, Exception rejection) {
        boolean accepted() {
            return rejection == null;
        }
    }

    /**
     * Runs {@code step}, which may return or throw one of {@code documented}, and must allocate at most
     * {@code maxAllocation} bytes.
     */
    @SafeVarargs
    static <T> Outcome<T> bounded(String what, long maxAllocation, Step<T> step,
                                  Class<? extends Exception>... documented) {
        long before = allocatedSoFar();
        Outcome<T> outcome = attempt(step, documented);
        long allocated = allocatedSoFar() - before;
        if (allocated > maxAllocation) {
            long again = allocatedSoFar();
            attempt(step, documented);
            again = allocatedSoFar() - again;
            if (again > maxAllocation) {
                throw new AssertionError(what + " allocated " + again + " bytes (" + allocated
                        + " on its first run), more than its bound of " + maxAllocation + " bytes");
            }
        }
        return outcome;
    }

    /** Bytes allocated by this thread so far (0 if the JVM cannot tell, which disables the bound). */
    static long allocatedSoFar() {
        return THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
    }

    /** Runs {@code step}, which may return or throw one of {@code documented}; no allocation bound. */
    @SafeVarargs
    static <T> Outcome<T> attempt(Step<T> step, Class<? extends Exception>... documented) {
        try {
            return new Outcome<>(step.run(), null);
        } catch (Exception e) {
            for (Class<? extends Exception> type : documented) {
                if (type.isInstance(e)) {
                    return new Outcome<>(null, e);
                }
            }
            throw new AssertionError("Undocumented exception " + e.getClass().getName() + " (documented: "
                    + Arrays.stream(documented).map(Class::getSimpleName).toList() + "): " + e.getMessage(), e);
        }
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
            t.setThreadAllocatedMemoryEnabled(true);
            return t;
        }
        return null;
    }
}
