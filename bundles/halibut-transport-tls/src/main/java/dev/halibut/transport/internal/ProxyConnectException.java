package dev.halibut.transport.internal;

import java.io.IOException;

/**
 * An HTTP proxy did not open the tunnel to the target: it could not be reached, closed the connection, refused
 * the {@code CONNECT} request (403, 407, ...) or answered with something that is not HTTP. A connect failure like
 * any other (retried under the connect rules); its message names the proxy and the target, and {@link #advice()}
 * says what to check.
 */
public final class ProxyConnectException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient String advice;
    private final int status;

    /**
     * @param status the proxy's HTTP status, or 0 when it sent none
     * @param advice what the operator should check, as a sentence without a final period
     */
    public ProxyConnectException(String message, int status, String advice, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.advice = advice;
    }

    /** The proxy's HTTP status (407: authentication required), or 0 when it sent none. */
    public int status() {
        return status;
    }

    /** What the operator should check. */
    public String advice() {
        return advice;
    }
}
