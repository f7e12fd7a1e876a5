package dev.halibut.wire;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * zlib compression of message payloads with a bounded inflate. Holds native zlib state, so one
 * instance belongs to one connection, is used by one thread at a time, and must be closed.
 */
public final class Compressor implements AutoCloseable {

    // BEST_SPEED: payloads are small and latency matters more than the last few percent of size.
    private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    private final Inflater inflater = new Inflater();
    private final byte[] chunk = new byte[16 * 1024];

    public byte[] compress(byte[] data) {
        deflater.reset();
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 2));
        while (!deflater.finished()) {
            int n = deflater.deflate(chunk);
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Inflates {@code data}, failing as soon as the output would pass {@code maxSize} bytes, so a
     * small hostile payload cannot expand into a large allocation.
     */
    public byte[] decompress(byte[] data, int maxSize) throws ProtocolException {
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
        deflater.end();
        inflater.end();
    }
}
