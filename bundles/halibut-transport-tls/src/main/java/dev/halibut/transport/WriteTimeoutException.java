package dev.halibut.transport;

import java.net.SocketTimeoutException;

/**
 * The peer read nothing of what was queued for it for {@link dev.halibut.HalibutLimits#writeTimeout()}; the
 * connection was closed. Unlike a read timeout it says nothing about a response: what was being written may have
 * reached the peer in part.
 */
public final class WriteTimeoutException extends SocketTimeoutException {

    private static final long serialVersionUID = 1L;

    public WriteTimeoutException(String message) {
        super(message);
    }
}
