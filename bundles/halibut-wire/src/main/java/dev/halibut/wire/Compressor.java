package dev.halibut.wire;

import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * zlib compression of message payloads with a bounded inflate. Holds native zlib state, so one
 * instance belongs to one connection, is used by one thread at a time, and must be closed.
 *
 * <p>The zlib state is made on first use: a deflater holds about 256 KiB of native memory and an inflater
 * about 40 KiB, which an idle connection (a polling subscriber waiting for work, a pooled connection that
 * only answers liveness checks) never needs. Nothing is kept on the heap between messages.
 */
public final class Compressor implements AutoCloseable {

    private Deflater deflater;
    private Inflater inflater;
    private boolean closed;

    /**
     * A compressed payload: {@code buffer[headroom, end)}, after {@code headroom} bytes left free for the
     * caller (a frame header), so the caller sends the buffer as it is instead of copying the payload again.
     */
    public record Packed(byte[] buffer, int headroom, int end) {
        /** The compressed payload's length. */
        public int length() {
            return end - headroom;
        }
    }

    public byte[] compress(byte[] data) {
        Packed p = compress(data, 0);
        return p.end() == p.buffer().length ? p.buffer() : Arrays.copyOf(p.buffer(), p.end());
    }

    /**
     * Messages up to this size go out as zlib "stored" blocks (RFC 1950/1951: the same zlib format, with the data
     * as it is): deflating a small call's 100-300 bytes saved a few dozen of them but cost a call into native zlib
     * at each end, about a quarter of the Java work of encoding and decoding a small call's messages.
     */
    static final int MAX_STORED = 512;

    /** Compresses {@code data} into a new buffer that starts with {@code headroom} free bytes. */
    public Packed compress(byte[] data, int headroom) {
        if (data.length <= MAX_STORED) {
            checkOpen();
            return StoredZlib.wrap(data, headroom);
        }
        Deflater d = deflater();
        d.reset();
        d.setInput(data);
        d.finish();
        // More than zlib's own bound for incompressible input (stored blocks: 5 bytes per 16 KiB, plus the
        // 2-byte header and 4-byte trailer), so one deflate call normally finishes; the loop is a safety net.
        byte[] out = new byte[headroom + data.length + (data.length >> 8) + 64];
        int end = headroom;
        while (true) {
            end += d.deflate(out, end, out.length - end);
            if (d.finished()) {
                return new Packed(out, headroom, end);
            }
            if (end == out.length) {
                out = Arrays.copyOf(out, out.length + Math.max(64, out.length >> 1));
            }
        }
    }

    private Deflater deflater() {
        if (deflater == null) {
            checkOpen();
            // BEST_SPEED: payloads are small and latency matters more than the last few percent of size.
            deflater = new Deflater(Deflater.BEST_SPEED);
        }
        return deflater;
    }

    private Inflater inflater() {
        if (inflater == null) {
            checkOpen();
            inflater = new Inflater();
        }
        return inflater;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This compressor is closed (its connection has ended)");
        }
    }

    /**
     * Inflates {@code data}, failing as soon as the output would pass {@code maxSize} bytes, so a
     * small hostile payload cannot expand into a large allocation.
     */
    public byte[] decompress(byte[] data, int maxSize) throws ProtocolException {
        checkOpen();
        byte[] stored = StoredZlib.unwrap(data, maxSize);
        if (stored != null) {
            return stored;
        }
        Inflater inflater = inflater();
        inflater.reset();
        inflater.setInput(data);
        byte[] out = new byte[Math.min(maxSize, Math.max(256, data.length * 4))];
        int size = 0;
        try {
            while (!inflater.finished()) {
                if (size == out.length) {
                    if (out.length >= maxSize) {
                        throw new ProtocolException("Message inflates to more than the maximum message size of "
                                + maxSize + " bytes");
                    }
                    out = Arrays.copyOf(out, (int) Math.min(maxSize, out.length * 2L));
                }
                int n = inflater.inflate(out, size, out.length - size);
                size += n;
                // needsInput() is also true at the end of the stream: only a stalled, unfinished inflate is truncated.
                if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new ProtocolException("Compressed message is truncated");
                }
            }
        } catch (DataFormatException e) {
            throw new ProtocolException("Message is not valid zlib data: " + e.getMessage(), e);
        }
        if (inflater.getRemaining() > 0) {
            throw new ProtocolException("Compressed message has " + inflater.getRemaining() + " bytes after its end");
        }
        return size == out.length ? out : Arrays.copyOf(out, size);
    }

    @Override
    public void close() {
        closed = true;
        if (deflater != null) {
            deflater.end();
        }
        if (inflater != null) {
            inflater.end();
        }
    }
}
