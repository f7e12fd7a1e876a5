package dev.halibut.registry;

import java.util.Map;

/**
 * Calls over JMX, since the runtime started: {@value #OUTGOING} counts the calls this runtime made,
 * {@value #INCOMING} the requests it served. Also an OSGi service under this interface, with the property
 * {@value #DIRECTION_PROPERTY} ({@code outgoing} or {@code incoming}).
 */
public interface HalibutCallsMXBean {

    /** Object name of the calls this runtime made. */
    String OUTGOING = "dev.halibut:type=Calls,direction=outgoing";

    /** Object name of the requests this runtime served. */
    String INCOMING = "dev.halibut:type=Calls,direction=incoming";

    /** Service property naming the direction. */
    String DIRECTION_PROPERTY = "halibut.calls.direction";

    /** All calls, whatever their outcome. */
    long getCalls();

    /** Calls that did not end with a result. */
    long getFailures();

    /** Failed calls by outcome ({@code NOT_COLLECTED}, {@code INVOCATION_ERROR}, ...); only outcomes that occurred. */
    Map<String, Long> getFailuresByKind();

    /** Mean duration of all calls, in milliseconds. */
    double getLatencyMeanMillis();

    /** Longest call, in milliseconds. */
    long getLatencyMaxMillis();

    /**
     * How many calls took at most each bound: keys {@code <=1ms}, {@code <=10ms}, {@code <=100ms},
     * {@code <=1s}, {@code <=10s}, {@code >10s}; each call is counted once, in the first bucket it fits.
     */
    Map<String, Long> getLatencyHistogram();
}
