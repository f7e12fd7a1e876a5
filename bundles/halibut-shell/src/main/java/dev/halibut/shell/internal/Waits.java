package dev.halibut.shell.internal;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits, bounded, for a configuration change to reach the runtime (Config Admin delivers updates
 * asynchronously), so a command can say whether it took effect.
 */
final class Waits {

    static final Duration DEFAULT = Duration.ofSeconds(10);

    private Waits() {
    }

    static boolean until(BooleanSupplier condition) throws InterruptedException {
        return until(DEFAULT, condition);
    }

    static boolean until(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return true;
                }
            } catch (RuntimeException e) {
                // the service went away meanwhile (a runtime being replaced): look again
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(50); // polling interval of a bounded wait
        }
    }
}
