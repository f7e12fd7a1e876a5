package dev.halibut.runtime.internal;

import dev.halibut.runtime.HalibutRuntime;
import java.time.Duration;

/**
 * The two moments of a bounded close, from when it starts: until {@link #graceEnd()} interrupted service
 * calls may still send their "shutting down" answers; at {@link #end()} the close returns whatever is
 * left running. The whole is {@link HalibutRuntime#CLOSE_TIMEOUT}, the grace half of it.
 */
record CloseDeadlines(long graceEnd, long end) {

    static CloseDeadlines startingNow() {
        long now = System.nanoTime();
        long total = HalibutRuntime.CLOSE_TIMEOUT.toNanos();
        return new CloseDeadlines(now + total / 2, now + total);
    }

    /** Time left until {@link #end()}, never negative. */
    Duration remaining() {
        return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
    }
}
