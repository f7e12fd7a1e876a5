package dev.halibut.polling;

/** Why a polled request ended without a response. */
public final class PollingException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The reasons a polled request can fail. */
    public enum Reason {
        /** No service host took it within the collection timeout; it was removed and will never run. */
        NOT_COLLECTED,
        /** Taken, but no response came within the response timeout; it may have run. */
        NO_RESPONSE,
        /** Taken and sent, then the subscriber connection failed; it may have run. */
        CONNECTION_LOST,
        /** Withdrawn by the caller while queued; it will never run. */
        CANCELLED,
        /** The queue was closed (the runtime is shutting down). */
        CLOSED,
        /**
         * The store behind a shared queue (Redis) could not be reached, or lost the request (it restarted);
         * the message names the store. Whether the request can still run is said in the message.
         */
        QUEUE_UNAVAILABLE,
        /**
         * The queue refused the message, for instance because its streams are larger than a shared queue
         * carries; a refused request was never queued and will never run.
         */
        REFUSED
    }

    private final Reason reason;

    public PollingException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
