package dev.halibut.wire;

import java.util.Objects;

/** One frame as read from the wire: its type and (for messages) its still-compressed payload. */
public record Frame(FrameType type, byte[] payload) {

    private static final byte[] EMPTY = new byte[0];

    public Frame {
        Objects.requireNonNull(type, "type");
        payload = payload == null ? EMPTY : payload;
    }

    /** A frame without payload (NEXT, PROCEED, END). */
    public static Frame control(FrameType type) {
        return new Frame(type, EMPTY);
    }
}
