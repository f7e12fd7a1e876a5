package dev.halibut.transport;

import java.io.IOException;

/** The peer announced a stream and then aborted it (STREAM_ABORT), giving its reason. */
public final class StreamAbortedException extends IOException {

    private static final long serialVersionUID = 1L;

    public StreamAbortedException(String message) {
        super(message);
    }
}
