package dev.halibut.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Reads frames, checking every length against the limit before reading the payload. The memory for a
 * payload grows as its bytes arrive (doubling from {@link #UNCHARGED_BYTES}), never from the declared
 * length alone, and what a payload holds beyond {@link #UNCHARGED_BYTES} is taken from the runtime's
 * {@link MessageMemoryBudget} until the frame is complete. Not thread-safe: one reader per connection, used
 * by one thread at a time.
 */
public final class FrameReader {

    /**
     * What a frame may hold without asking the budget: as much as one STREAM_DATA chunk, so that small
     * messages and stream bodies never wait for memory. Like a connection's I/O buffers, a fixed cost per
     * connection.
     */
    public static final int UNCHARGED_BYTES = FrameType.MAX_STREAM_CHUNK;

    private final InputStream in;
    private final int maxMessageSize;
    private final MessageMemoryBudget budget;

    /**
     * A reader without a shared budget (each payload is still bounded by {@code maxMessageSize} and grows as
     * it arrives).
     *
     * @param in             the connection's (buffered) input
     * @param maxMessageSize the largest payload accepted
     */
    public FrameReader(InputStream in, int maxMessageSize) {
        this(in, maxMessageSize, MessageMemoryBudget.unbounded());
    }

    /**
     * @param in             the connection's (buffered) input
     * @param maxMessageSize the largest payload accepted
     * @param budget         the runtime-wide budget for incomplete messages
     */
    public FrameReader(InputStream in, int maxMessageSize, MessageMemoryBudget budget) {
        this.in = in;
        this.maxMessageSize = maxMessageSize;
        this.budget = budget;
    }

    /**
     * Reads the next frame; a large message waits for its share of the budget not at all.
     *
     * @throws EOFException      the peer closed the connection between frames
     * @throws ProtocolException the frame is malformed, oversized, or cut short
     */
    public Frame read() throws IOException {
        return read(Duration.ZERO);
    }

    /**
     * Reads the next frame.
     *
     * @param budgetWait how long a large message may wait for the budget each time its buffer grows
     * @throws EOFException                    the peer closed the connection between frames
     * @throws ProtocolException               the frame is malformed, oversized, or cut short
     * @throws MessageBudgetExceededException  the budget stayed taken for {@code budgetWait}
     */
    public Frame read(Duration budgetWait) throws IOException {
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
        return new Frame(type, readPayload(type, (int) length, budgetWait));
    }

    /**
     * Reads {@code length} bytes into a buffer that starts at most {@link #UNCHARGED_BYTES} long and doubles
     * (up to {@code length}) only when full, so a peer that declares a large payload and then sends nothing
     * costs this side nothing beyond the first chunk. Growth beyond the uncharged part is taken from the budget
     * first and given back when the frame is complete or fails.
     */
    private byte[] readPayload(FrameType type, int length, Duration budgetWait) throws IOException {
        byte[] buf = new byte[Math.min(length, UNCHARGED_BYTES)];
        long charged = 0;
        try {
            int got = 0;
            while (true) {
                int n = in.readNBytes(buf, got, buf.length - got);
                got += n;
                if (got == length) {
                    return buf;
                }
                if (got < buf.length) {
                    throw new ProtocolException(type + " frame cut short: " + got + " of " + length
                            + " bytes arrived before the connection ended");
                }
                int next = (int) Math.min(length, 2L * buf.length);
                long charge = next - UNCHARGED_BYTES - charged;
                take(type, length, charge, budgetWait);
                charged += charge;
                buf = Arrays.copyOf(buf, next);
            }
        } finally {
            budget.release(charged);
        }
    }

    private void take(FrameType type, int length, long bytes, Duration wait) throws IOException {
        boolean taken;
        try {
            taken = budget.reserve(bytes, wait.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Interrupted while waiting for memory to receive a " + type + " frame of "
                    + length + " bytes");
        }
        if (!taken) {
            throw new MessageBudgetExceededException("Cannot receive a " + type + " frame of " + length + " bytes: the"
                    + " messages still arriving on this runtime's connections hold " + budget.used() + " of the "
                    + budget.capacity() + " bytes they may hold in all (incompleteMessageBudget), and not enough was"
                    + " freed within " + wait + ". Closing this connection; raise incompleteMessageBudget if large"
                    + " messages from many peers at once are expected");
        }
    }

    private long readLength() throws IOException {
        byte[] b = new byte[4];
        if (in.readNBytes(b, 0, 4) < 4) {
            throw new ProtocolException("Frame header cut short: the connection ended inside the length field");
        }
        return ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
    }
}
