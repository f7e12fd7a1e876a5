package dev.halibut.transport;

import java.io.IOException;

/**
 * Why a {@link RequestExchange} failed, classified by what it means for the request: whether it was sent,
 * whether it may have run, and whether the connection can carry another request. The cause is the failure
 * as the connection reported it; its message is what callers quote.
 */
public final class ExchangeException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The classes of failure, in the order an exchange can meet them. */
    public enum Kind {
        /** The request is larger than the maximum message size: nothing was written; the connection is fine. */
        NOT_SENT(false, true),
        /**
         * The source of one of the request's own streams failed: the request was sent and that stream aborted
         * (STREAM_ABORT). The service runs as soon as the request message arrives, so it may have started and
         * failed reading the stream: it may have run. The connection is finished.
         */
        STREAM_SOURCE_FAILED(true, false),
        /**
         * The peer answered END instead of a RESPONSE: it refused the request unread, so it did not run
         * (docs/protocol.md, section 5). The connection is finished.
         */
        REFUSED_UNREAD(false, false),
        /**
         * The request was not written: the peer had ended the connection before it (END, anything else it sent
         * unasked, its close or a reset, as the event loop saw it right before the write). Nothing of it reached
         * the peer, so it did not run; as after a failed liveness check, another connection may carry it. The
         * connection is finished.
         */
        NOT_WRITTEN(false, false),
        /**
         * The request's write failed before all of it reached the socket: the peer cannot have read the whole
         * request, so it did not run. It is not sent again (part of it may have gone out). The connection is
         * finished.
         */
        NOT_DELIVERED(false, false),
        /** No response (or no part of its streams) arrived within the response timeout: it may have run. */
        NO_RESPONSE(true, false),
        /** The peer broke the protocol after the request was sent: it may have run. */
        PROTOCOL_ERROR(true, false),
        /** The response arrived, but the peer could not send one of its streams (STREAM_ABORT): it ran. */
        RESPONSE_STREAM_ABORTED(true, false),
        /** The connection failed after (or while) the request was written: it may have run. */
        CONNECTION_LOST(true, false);

        private final boolean mayHaveRun;
        private final boolean connectionReusable;

        Kind(boolean mayHaveRun, boolean connectionReusable) {
            this.mayHaveRun = mayHaveRun;
            this.connectionReusable = connectionReusable;
        }

        /** Whether the request may have run (so it must not be sent again). */
        public boolean mayHaveRun() {
            return mayHaveRun;
        }

        /** Whether the connection may carry another request; otherwise close it. */
        public boolean connectionReusable() {
            return connectionReusable;
        }
    }

    private final Kind kind;

    ExchangeException(Kind kind, IOException cause) {
        super(kind + ": " + cause.getMessage(), cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The failure as the connection reported it. */
    @Override
    public synchronized IOException getCause() {
        return (IOException) super.getCause();
    }
}
