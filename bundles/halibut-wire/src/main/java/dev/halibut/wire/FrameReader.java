package dev.halibut.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads frames, checking every length against the limit before allocating for it. Not thread-safe:
 * one reader per connection, used by one thread at a time.
 */
public final class FrameReader {

    private final InputStream in;
    private final int maxMessageSize;

    /**
     * @param in             the connection's (buffered) input
     * @param maxMessageSize the largest payload accepted
     */
    public FrameReader(InputStream in, int maxMessageSize) {
        this.in = in;
        this.maxMessageSize = maxMessageSize;
    }

    /**
     * Reads the next frame.
     *
     * @throws EOFException      the peer closed the connection between frames
     * @throws ProtocolException the frame is malformed, oversized, or cut short
     */
    public Frame read() throws IOException {
        int code = in.read();
        if (code < 0) {
            throw new EOFException("The connection was closed by the peer");
        }
        FrameType type = FrameType.ofCode(code);
        if (type == null) {
            throw new ProtocolException(String.format("Unknown frame type 0x%02X", code));
        }
        long length = readLength();
        if (!type.carriesPayload()) {
            if (length != 0) {
                throw new ProtocolException(type + " frame must be empty but declares " + length + " bytes");
            }
            return Frame.control(type);
        }
        long max = type.maxPayload(maxMessageSize);
        if (length > max) {
            throw new ProtocolException(type + " frame of " + length + " bytes exceeds the "
                    + (type == FrameType.REQUEST || type == FrameType.RESPONSE ? "maximum message size of " : "limit of ")
                    + max + " bytes");
        }
        if (type == FrameType.STREAM_DATA && length == 0) {
            // A sender has no reason to send one, and accepting them would let a peer keep a stream
            // "in progress" forever without sending a byte of it.
            throw new ProtocolException("STREAM_DATA frame is empty; it must carry 1 to " + max + " bytes");
        }
        if (type == FrameType.STREAM_END && length != FrameType.STREAM_END_SIZE) {
            throw new ProtocolException("STREAM_END frame must be " + FrameType.STREAM_END_SIZE + " bytes, not " + length);
        }
        byte[] payload = new byte[(int) length];
        int n = in.readNBytes(payload, 0, payload.length);
        if (n < payload.length) {
            throw new ProtocolException(type + " frame cut short: " + n + " of " + length + " bytes arrived before the connection ended");
        }
        return new Frame(type, payload);
    }

    private long readLength() throws IOException {
        byte[] b = new byte[4];
        if (in.readNBytes(b, 0, 4) < 4) {
            throw new ProtocolException("Frame header cut short: the connection ended inside the length field");
        }
        return ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
    }
}
