package dev.halibut.transport;

import java.io.IOException;

/** A stream's own source failed while it was being sent (writer threw, file unreadable, wrong length). */
public final class StreamSourceException extends IOException {

    private static final long serialVersionUID = 1L;

    public StreamSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
