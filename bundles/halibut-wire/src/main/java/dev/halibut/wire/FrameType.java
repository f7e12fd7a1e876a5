package dev.halibut.wire;

/** The frame types of protocol version 1 (docs/protocol.md, section 3). */
public enum FrameType {
    REQUEST(0x01, Bound.MESSAGE),
    RESPONSE(0x02, Bound.MESSAGE),
    NEXT(0x10, Bound.EMPTY),
    PROCEED(0x11, Bound.EMPTY),
    END(0x12, Bound.EMPTY),
    /** Up to {@link #MAX_STREAM_CHUNK} bytes of the current stream's content. */
    STREAM_DATA(0x20, Bound.CHUNK),
    /** The current stream is complete: its 16-byte id and 8-byte length. */
    STREAM_END(0x21, Bound.STREAM_END),
    /** The sender cannot finish its streams (UTF-8 reason); it closes the connection next. */
    STREAM_ABORT(0x22, Bound.REASON);

    /** Largest STREAM_DATA payload. */
    public static final int MAX_STREAM_CHUNK = 64 * 1024;
    /** Size of a STREAM_END payload. */
    public static final int STREAM_END_SIZE = 24;
    /** Largest STREAM_ABORT payload. */
    public static final int MAX_REASON = 1024;

    enum Bound { EMPTY, MESSAGE, CHUNK, STREAM_END, REASON }

    private final int code;
    private final Bound bound;

    FrameType(int code, Bound bound) {
        this.code = code;
        this.bound = bound;
    }

    public int code() {
        return code;
    }

    /** Whether frames of this type may have a non-empty payload. */
    public boolean carriesPayload() {
        return bound != Bound.EMPTY;
    }

    /** The largest payload a frame of this type may declare; messages use the configured maximum. */
    long maxPayload(int maxMessageSize) {
        return switch (bound) {
            case EMPTY -> 0;
            case MESSAGE -> maxMessageSize;
            case CHUNK -> MAX_STREAM_CHUNK;
            case STREAM_END -> STREAM_END_SIZE;
            case REASON -> MAX_REASON;
        };
    }

    /** The type with this code, or {@code null} for an unknown code. */
    public static FrameType ofCode(int code) {
        for (FrameType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
