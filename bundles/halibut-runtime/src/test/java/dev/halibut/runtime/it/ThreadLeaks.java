package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** Checks that no Halibut thread outlives the runtimes a test closed. */
public final class ThreadLeaks {
    private ThreadLeaks() {
    }

    public static List<Thread> halibutThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith("halibut-"))
                .toList();
    }

    /**
     * close() has shut every executor down; a pool thread may still be returning from its last task
     * when awaitTermination reports, so join each one with a bound before judging.
     */
    public static void assertNoHalibutThreads() throws InterruptedException {
        for (Thread t : halibutThreads()) {
            t.join(5000);
        }
        assertThat(halibutThreads()).extracting(Thread::getName).as("Halibut threads still alive after close()").isEmpty();
    }
}
