package dev.halibut.wire;

import java.io.IOException;

/**
 * The peer broke the protocol (bad frame, bad identification, malformed or oversized message).
 * The only correct reaction is to close the connection.
 */
public class ProtocolException extends IOException {

    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
