package dev.halibut.wire;

import java.util.Objects;
import java.util.UUID;

/** A stream announced in a message's {@code streams} list: its bodies follow the message, in order. */
public record StreamHeader(UUID id, long length) {
    public StreamHeader {
        Objects.requireNonNull(id, "id");
        if (length < 0) {
            throw new IllegalArgumentException("stream length " + length + " is negative");
        }
    }
}
