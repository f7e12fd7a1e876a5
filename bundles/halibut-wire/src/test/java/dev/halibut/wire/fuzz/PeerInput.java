package dev.halibut.wire.fuzz;

import java.io.InputStream;

/**
 * What a peer sent, as a decoder sees it on a connection: the bytes arrive a few at a time (as TLS
 * records would cut them), and the stream ends where the input ends. Counts what was consumed. Only
 * {@link InputStream}'s own methods are inherited, so {@code readNBytes} loops over short reads as it
 * does on a socket.
 */
final class PeerInput extends InputStream {

    private final byte[] bytes;
    private int pos;
    private int calls;

    PeerInput(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Bytes the decoder has taken so far. */
    int consumed() {
        return pos;
    }

    @Override
    public int read() {
        return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (pos >= bytes.length) {
            return -1;
        }
        // 1 to 7 bytes per call, varying deterministically, so decoders must handle short reads.
        int n = Math.min(Math.min(len, 1 + calls++ % 7), bytes.length - pos);
        System.arraycopy(bytes, pos, b, off, n);
        pos += n;
        return n;
    }
}
