package dev.halibut.wire;

/** The frame types of protocol version 1. */
public enum FrameType {
    REQUEST(0x01, true),
    RESPONSE(0x02, true),
    NEXT(0x10, false),
    PROCEED(0x11, false),
    END(0x12, false);

    private final int code;
    private final boolean carriesPayload;

    FrameType(int code, boolean carriesPayload) {
        this.code = code;
        this.carriesPayload = carriesPayload;
    }

    public int code() {
        return code;
    }

    /** Whether frames of this type may have a non-empty payload. */
    public boolean carriesPayload() {
        return carriesPayload;
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
