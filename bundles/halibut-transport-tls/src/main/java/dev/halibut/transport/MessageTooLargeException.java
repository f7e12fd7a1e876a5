package dev.halibut.transport;

import java.io.IOException;

/** A message to send is larger than the maximum message size; nothing was written. */
public final class MessageTooLargeException extends IOException {

    private static final long serialVersionUID = 1L;

    public MessageTooLargeException(String message) {
        super(message);
    }
}
