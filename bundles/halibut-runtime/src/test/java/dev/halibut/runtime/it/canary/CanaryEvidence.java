package dev.halibut.runtime.it.canary;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@link Canary} records about itself. Kept apart from it, so that reading the evidence does not load
 * the canary: only something that names the canary's class (a decoder obeying a type id in the data) can.
 */
public final class CanaryEvidence {
    /** Times the canary's static initialiser ran (the class was loaded and initialised). */
    public static final AtomicInteger INITIALISED = new AtomicInteger();
    /** Canary objects constructed. */
    public static final AtomicInteger INSTANTIATED = new AtomicInteger();
    /** Setter calls on canaries (gadget chains work through setters). */
    public static final AtomicInteger SETTERS = new AtomicInteger();

    private CanaryEvidence() {
    }

    public static int total() {
        return INITIALISED.get() + INSTANTIATED.get() + SETTERS.get();
    }
}
