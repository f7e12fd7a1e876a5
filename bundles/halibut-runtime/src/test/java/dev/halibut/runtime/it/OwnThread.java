package dev.halibut.runtime.it;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs each task on a new thread of its own: the executor the tests give {@code CompletableFuture.supplyAsync} and
 * {@code runAsync} for a call that blocks.
 *
 * <p>Without one they would run on {@code CompletableFuture}'s default executor. On JDK 17 with fewer than three
 * cores (CI's two) that is a new thread per task, but from JDK 19 on it is the common {@code ForkJoinPool} even when
 * that has a single worker: a test's blocked call then holds up every other task (a test waiting for a call and for
 * the runtime's {@code close()} on two such tasks waited for ever on JDK 25).
 */
public final class OwnThread {

    private static final AtomicInteger COUNT = new AtomicInteger();

    /** A new daemon thread per task, named {@code test-task-N}. */
    public static final Executor EACH = task -> {
        Thread t = new Thread(task, "test-task-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        t.start();
    };

    private OwnThread() {
    }
}
