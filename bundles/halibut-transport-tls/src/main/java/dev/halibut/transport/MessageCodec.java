package dev.halibut.transport;

import dev.halibut.wire.Compressor;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link Connection}'s message compression: a message's BSON into a whole frame and a received message frame back
 * into BSON, both bounded by the maximum message size. Its {@link Compressor} is the connection's and closes with it,
 * from whichever thread closes it; a message being compressed or decompressed meanwhile on another thread then fails
 * as a use of the closed connection ({@link SocketException}). Takes no lock: a connection is used by one thread at a
 * time, and the compressor guards its own close.
 */
final class MessageCodec {

    private final Connection owner;
    private final AtomicBoolean closed;
    private final int maxMessageSize;
    private final Compressor compressor = new Compressor();

    /** @param closed the connection's "closed here" flag, which the connection sets before it calls {@link #close} */
    MessageCodec(Connection owner, AtomicBoolean closed, int maxMessageSize) {
        this.owner = owner;
        this.closed = closed;
        this.maxMessageSize = maxMessageSize;
    }

    /**
     * A message frame of {@code type} carrying {@code bson} compressed, checked against the maximum message size
     * before and after compression. Compressed after room for the frame header, and sent from that array: no
     * further copy of the payload. A connection closed here, before or while the message is compressed, fails as
     * closed, as a write would: nothing was sent.
     *
     * @throws MessageTooLargeException the message exceeds the maximum message size
     * @throws SocketException          the connection is closed
     */
    ByteBuf messageFrame(FrameType type, byte[] bson) throws IOException {
        if (bson.length > maxMessageSize) {
            throw new MessageTooLargeException("The message is " + bson.length
                    + " bytes, more than the maximum message size of " + maxMessageSize + " bytes");
        }
        if (closed.get()) {
            throw new SocketException("The " + owner + " is closed; the " + type + " was not sent");
        }
        Compressor.Packed packed;
        try {
            packed = compressor.compress(bson, FrameWriter.FRAME_HEADER);
        } catch (RuntimeException e) {
            throw closedDuring(e, "its " + type + " was being compressed; it was not sent");
        }
        if (packed.length() > maxMessageSize) {
            throw new MessageTooLargeException("The message compresses to " + packed.length()
                    + " bytes, more than the maximum message size of " + maxMessageSize + " bytes");
        }
        ByteBuf frame = Unpooled.wrappedBuffer(packed.buffer(), 0, packed.end());
        frame.setByte(0, type.code()).setInt(1, packed.length());
        return frame;
    }

    /**
     * The decompressed BSON of a message frame, bounded by the maximum message size.
     *
     * @throws ProtocolException the payload is not a well-formed message within the bound
     * @throws SocketException   the connection was closed (by another thread) before or while it was decompressed
     */
    byte[] messageBytes(Frame frame) throws IOException {
        try {
            return compressor.decompress(frame.payload(), maxMessageSize);
        } catch (RuntimeException e) {
            throw closedDuring(e, "a received message was being decompressed");
        }
    }

    /** Frees the compressor's native memory; the connection calls it once, after it set its closed flag. */
    void close() {
        compressor.close();
    }

    /**
     * {@code e}, from the compressor, as the close it reports when the connection has been closed: a
     * {@link SocketException}, like any use of a closed connection. Anything else is rethrown as it is.
     */
    private SocketException closedDuring(RuntimeException e, String what) {
        if (!closed.get()) {
            throw e;
        }
        SocketException closedHere = new SocketException("The " + owner + " was closed while " + what);
        closedHere.initCause(e);
        return closedHere;
    }
}
