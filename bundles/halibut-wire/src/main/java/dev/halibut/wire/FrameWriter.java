package dev.halibut.wire;

import java.io.IOException;
import java.io.OutputStream;

/** Writes frames and flushes each one. Not thread-safe: one writer per connection. */
public final class FrameWriter {

    private final OutputStream out;

    /** @param out the connection's (buffered) output */
    public FrameWriter(OutputStream out) {
        this.out = out;
    }

    public void write(FrameType type, byte[] payload) throws IOException {
        int length = payload == null ? 0 : payload.length;
        if (!type.carriesPayload() && length != 0) {
            throw new IllegalArgumentException(type + " frames carry no payload");
        }
        out.write(new byte[] {(byte) type.code(), (byte) (length >>> 24), (byte) (length >>> 16),
                (byte) (length >>> 8), (byte) length});
        if (length > 0) {
            out.write(payload);
        }
        out.flush();
    }

    public void write(FrameType controlType) throws IOException {
        write(controlType, null);
    }
}
