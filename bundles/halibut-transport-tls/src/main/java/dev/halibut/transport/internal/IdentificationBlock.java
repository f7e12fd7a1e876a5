package dev.halibut.transport.internal;

import dev.halibut.wire.Identification;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Collects one identification block (docs/protocol.md, section 2) as its bytes arrive on the event loop, and
 * parses it with {@link Identification#readFrom(java.io.InputStream, int)} once it is complete, or as soon as
 * it can no longer be valid (a line longer than the limit, too many lines), so what it holds is bounded by
 * {@code maxLineLength * MAX_LINES}. Bytes after the block (frames sent at once after it) are left in the buffer.
 */
public final class IdentificationBlock {

    /** What a block of the usual size (a role line, a version line, a few headers) fits in. */
    static final int INITIAL_BYTES = 256;

    private final int maxLineLength;
    private final int maxBytes;
    /**
     * Grows (doubling) as bytes arrive, up to {@link #maxBytes}: the bound (16 KiB with the default line limit) is
     * for hostile peers, and an object kept for a connection's life would otherwise hold all of it.
     */
    private byte[] bytes;
    private int size;
    private int lineStart;
    private int lines;

    public IdentificationBlock(int maxLineLength) {
        this.maxLineLength = maxLineLength;
        this.maxBytes = maxLineLength * Identification.MAX_LINES;
        this.bytes = new byte[Math.min(INITIAL_BYTES, maxBytes)];
    }

    /**
     * Takes bytes from {@code in} up to the end of the block.
     *
     * @return the identification once the block is complete; {@code null} while more is needed
     * @throws IOException the block is malformed, too long, or an error block ({@code HALIBUT-ERROR}): the
     *                     exceptions of {@link Identification#readFrom(java.io.InputStream, int)}
     */
    public Identification feed(ByteBuf in) throws IOException {
        while (in.isReadable()) {
            byte b = in.readByte();
            if (size == bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.min(maxBytes, 2 * bytes.length));
            }
            bytes[size++] = b;
            if (b == '\n') {
                boolean empty = size - lineStart <= 2;
                lines++;
                lineStart = size;
                if (empty && lines > 1 || lines >= Identification.MAX_LINES) {
                    return parse();
                }
            } else if (size - lineStart >= maxLineLength || size == maxBytes) {
                return parse(); // a line too long: readFrom says so
            }
        }
        return null;
    }

    private Identification parse() throws IOException {
        return Identification.readFrom(new ByteArrayInputStream(bytes, 0, size), maxLineLength);
    }
}
