package dev.halibut.runtime;

import java.time.Instant;

/**
 * One event of an endpoint's in-memory connection log ({@link HalibutRuntime#connectionLog(String)}):
 * connections opened and closed, failed connects, refused handshakes, failed calls, requests that were
 * not collected.
 *
 * @param time    when it happened
 * @param level   how serious it is
 * @param message what happened, for people
 */
public record ConnectionLogEntry(Instant time, Level level, String message) {

    /** How serious an entry is. */
    public enum Level {
        INFO, WARN, ERROR
    }
}
