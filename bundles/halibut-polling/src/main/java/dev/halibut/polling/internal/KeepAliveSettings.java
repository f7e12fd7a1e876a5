package dev.halibut.polling.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import java.time.Duration;

/**
 * The listener's keep-alive settings as its subscribers learn them (docs/protocol.md, section 2 and "Polling
 * mode"): a listener sends NEXT on a subscriber connection that had no work for {@code keepAlive} and waits
 * {@code heartbeatTimeout} for PROCEED. It tells each subscriber both in the headers of its identification
 * answer, so that the subscriber can tell a quiet connection from a dead one by the listener's settings, not
 * its own guess of them.
 *
 * @param keepAlive        the listener's {@link HalibutLimits#pollingKeepAlive()}
 * @param heartbeatTimeout the listener's {@link HalibutLimits#heartbeatTimeout()}
 */
public record KeepAliveSettings(Duration keepAlive, Duration heartbeatTimeout) {

    /** Header of the listener's answer to a subscriber: its keep-alive interval, in whole milliseconds. */
    public static final String KEEP_ALIVE_HEADER = "Keep-Alive-Ms";
    /** Header of the listener's answer to a subscriber: its heartbeat timeout, in whole milliseconds. */
    public static final String HEARTBEAT_TIMEOUT_HEADER = "Heartbeat-Timeout-Ms";
    /**
     * What a subscriber allows beyond keep-alive + heartbeat timeout before it calls the connection dead: the
     * listener's NEXT is sent after its keep-alive has passed, late by as much as its scheduling and the network
     * delay it.
     */
    public static final Duration MARGIN = Duration.ofSeconds(2);
    /** The largest value a header may carry (a day), so that no sum of them overflows. */
    private static final long MAX_MILLIS = Duration.ofDays(1).toMillis();

    /** This side's own settings, as a listener announces them. */
    public static KeepAliveSettings of(HalibutLimits limits) {
        return new KeepAliveSettings(limits.pollingKeepAlive(), limits.heartbeatTimeout());
    }

    /**
     * The settings a listener announced in {@code answer}; where it announced none (a listener of an earlier
     * revision of the protocol), the subscriber's own {@code limits}.
     *
     * @throws ProtocolException a header is there but is not a whole number of milliseconds from 1 to a day
     */
    public static KeepAliveSettings announcedIn(Identification answer, HalibutLimits limits) throws ProtocolException {
        Duration keepAlive = millis(answer, KEEP_ALIVE_HEADER, limits.pollingKeepAlive());
        Duration heartbeat = millis(answer, HEARTBEAT_TIMEOUT_HEADER, limits.heartbeatTimeout());
        return new KeepAliveSettings(keepAlive, heartbeat);
    }

    /** {@code answer} with these settings as headers. */
    public Identification addTo(Identification answer) {
        return answer.withHeader(KEEP_ALIVE_HEADER, Long.toString(Math.max(1, keepAlive.toMillis())))
                .withHeader(HEARTBEAT_TIMEOUT_HEADER, Long.toString(Math.max(1, heartbeatTimeout.toMillis())));
    }

    /**
     * How long a subscriber waits for the listener's next frame before it calls the connection dead:
     * keep-alive + heartbeat timeout + {@link #MARGIN}.
     */
    public Duration silenceLimit() {
        return keepAlive.plus(heartbeatTimeout).plus(MARGIN);
    }

    private static Duration millis(Identification answer, String header, Duration fallback) throws ProtocolException {
        String value = answer == null ? null : answer.header(header);
        if (value == null) {
            return fallback;
        }
        // Digits only, at most 9 of them: no sign, no unit, and nothing that overflows.
        if (!value.matches("[0-9]{1,9}") || Long.parseLong(value) < 1 || Long.parseLong(value) > MAX_MILLIS) {
            throw new ProtocolException("The listener's " + header + " header is '" + value
                    + "', not a whole number of milliseconds from 1 to " + MAX_MILLIS);
        }
        return Duration.ofMillis(Long.parseLong(value));
    }
}
