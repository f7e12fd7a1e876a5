package dev.halibut.transport;

import java.net.SocketException;

/**
 * A REQUEST frame was not written because the peer had ended the connection before it (END, or anything else it
 * sent unasked, its close, a reset, or a failure): nothing of the request reached the peer, so it did not run.
 * The connection is finished; another connection may carry the request, as after a failed liveness check.
 */
public final class RequestNotWrittenException extends SocketException {

    private static final long serialVersionUID = 1L;

    public RequestNotWrittenException(String message) {
        super(message);
    }
}
