package dev.halibut.transport.internal;

import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The payload of one received STREAM_DATA frame, still in the buffers TLS decrypted it into (a retained slice of
 * them, or of a copy when the frame came in pieces too small to keep their buffers for), so that the stream's reader
 * copies it once, into its own array, instead of the event loop copying it into a new array first. Whoever holds a
 * StreamData owns its buffer and must {@link #release()} it on every path (read, skipped, stored, failed, closed).
 */
public final class StreamData {

    private final ByteBuf content;
    private final int length;

    StreamData(ByteBuf content) {
        this.content = content;
        this.length = content.readableBytes();
    }

    /** The frame's payload length (1 to 64 KiB). */
    public int length() {
        return length;
    }

    /** The payload, read from its reader index on; owned by this StreamData's holder. */
    public ByteBuf content() {
        return content;
    }

    /** Returns the buffer to its pool; once. */
    public void release() {
        content.release();
    }

    /** A copy in plain heap memory (no pool to return it to, so nothing leaks if it is never released); releases this. */
    public StreamData unpooled() {
        try {
            return new StreamData(Unpooled.copiedBuffer(content));
        } finally {
            release();
        }
    }

    /** A copy as an ordinary STREAM_DATA {@link Frame} (for a reader that did not expect stream data); releases this. */
    public Frame toFrame() {
        try {
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            return new Frame(FrameType.STREAM_DATA, bytes);
        } finally {
            release();
        }
    }
}
