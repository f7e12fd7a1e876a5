package dev.halibut.transport.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One input of {@link FrameDecoderFuzzTest}: what a peer sends (the bytes after identification) and how it arrives
 * (cut into the fuzzer's chunk sizes, in buffers of the fuzzer's sizes), plus the state of the runtime-wide memory
 * budget. The layout is small on purpose, so that a few dozen bytes of input can describe a message of hundreds of
 * KiB (a "fill" chunk is {@code size} copies of one byte instead of {@code size} bytes of the input), which is what
 * reaches the budget's code: a payload is charged only past its first 64 KiB.
 *
 * <pre>
 * byte 0      options: bits 0-1 budget capacity ({@link #CAPACITIES}), bits 2-3 bytes other connections hold at the
 *             start ({@link #TAKEN}), bit 4 the others give their bytes back while this connection waits (else the
 *             wait ends at the decoder's first look), bit 5 every chunk is a slice of a larger buffer
 * byte 1      n: the number of chunk specifications (n % 16)
 * 3 bytes × n chunk specifications, used in turn: size (2 bytes, big-endian; 1 + value), flags: bits 0-1 the
 *             buffer's capacity is the chunk's size times 1, 2, 4 or 8; bit 2 a fill chunk (bits 4-7 give its
 *             byte's upper nibble); bit 3 the event loop runs its due tasks (the budget's retry) after this chunk
 * rest        the data: taken by the non-fill chunks in turn; the input ends when the data is used up (or at
 *             {@link #MAX_WIRE} bytes, or after {@link #MAX_CHUNKS} chunks); without chunk specifications, the data
 *             arrives in one chunk
 * </pre>
 */
record FrameFuzzInput(long capacity, long taken, boolean othersGiveBack, boolean slices, List<Chunk> chunks) {

    /** Budget capacities; the first is an unbounded budget. */
    static final long[] CAPACITIES = {Long.MAX_VALUE, 64 * 1024, 96 * 1024, 192 * 1024};
    /** What other connections hold of the budget when this one starts (at most the capacity). */
    static final long[] TAKEN = {0, 32 * 1024, 64 * 1024, 128 * 1024};
    /** The most one input sends: a few of the largest messages ({@link FrameDecoderFuzzTest#MAX_MESSAGE_SIZE}). */
    static final int MAX_WIRE = 1 << 20;
    /** The most reads one input makes: a few thousand, for speed and for the small heap (a read costs a buffer). */
    static final int MAX_CHUNKS = 4096;

    static final int FLAG_FILL = 4;
    static final int FLAG_RUN_TASKS = 8;

    /**
     * One read from the socket, as TLS would hand it on.
     *
     * @param bytes          what arrives
     * @param capacityFactor the buffer holding it is this many times its size (1, 2, 4 or 8)
     * @param runTasks       the event loop runs its due scheduled tasks after this read
     */
    record Chunk(byte[] bytes, int capacityFactor, boolean runTasks) {
    }

    static FrameFuzzInput parse(byte[] input) {
        int options = input.length > 0 ? input[0] & 0xFF : 0;
        long capacity = CAPACITIES[options & 3];
        long taken = Math.min(capacity, TAKEN[(options >>> 2) & 3]);
        int n = input.length > 1 ? (input[1] & 0xFF) % 16 : 0;
        int specsEnd = Math.min(input.length, 2 + 3 * n);
        n = Math.max(0, (specsEnd - 2) / 3);
        byte[] data = input.length > 2 + 3 * n ? Arrays.copyOfRange(input, 2 + 3 * n, input.length) : new byte[0];
        List<Chunk> chunks = new ArrayList<>();
        if (n == 0) {
            if (data.length > 0) {
                chunks.add(new Chunk(Arrays.copyOf(data, Math.min(data.length, MAX_WIRE)), 1, true));
            }
        } else {
            int used = 0;
            long wire = 0;
            for (int i = 0; used < data.length && wire < MAX_WIRE && chunks.size() < MAX_CHUNKS; i = (i + 1) % n) {
                int at = 2 + 3 * i;
                int size = (int) Math.min(1 + (((input[at] & 0xFF) << 8) | (input[at + 1] & 0xFF)), MAX_WIRE - wire);
                int flags = input[at + 2] & 0xFF;
                byte[] bytes;
                if ((flags & FLAG_FILL) != 0) {
                    bytes = new byte[size];
                    Arrays.fill(bytes, (byte) (flags & 0xF0));
                } else {
                    bytes = Arrays.copyOfRange(data, used, used + Math.min(size, data.length - used));
                    used += bytes.length;
                }
                wire += bytes.length;
                chunks.add(new Chunk(bytes, 1 << (flags & 3), (flags & FLAG_RUN_TASKS) != 0));
            }
        }
        return new FrameFuzzInput(capacity, taken, (options & 16) != 0, (options & 32) != 0, List.copyOf(chunks));
    }

    /** Everything the peer sent, in one piece: what the reference decoder reads. */
    byte[] wire() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks.forEach(c -> out.writeBytes(c.bytes()));
        return out.toByteArray();
    }

    /** Writes inputs in the layout above (for the seed corpus). */
    static final class Builder {
        private int options;
        private final ByteArrayOutputStream specs = new ByteArrayOutputStream();
        private int specCount;
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();

        /** Capacity index into {@link #CAPACITIES}, taken index into {@link #TAKEN}. */
        Builder budget(int capacityIndex, int takenIndex, boolean othersGiveBack) {
            options = (options & ~0x1F) | capacityIndex | takenIndex << 2 | (othersGiveBack ? 16 : 0);
            return this;
        }

        Builder slices() {
            options |= 32;
            return this;
        }

        /** A chunk of {@code size} data bytes, in a buffer {@code 1 << roominess} times its size. */
        Builder chunk(int size, int roominess, boolean runTasks) {
            return spec(size, roominess | (runTasks ? FLAG_RUN_TASKS : 0));
        }

        /** A chunk of {@code size} bytes of {@code value} (its lower nibble is dropped). */
        Builder fill(int size, int value, boolean runTasks) {
            return spec(size, FLAG_FILL | (value & 0xF0) | (runTasks ? FLAG_RUN_TASKS : 0));
        }

        private Builder spec(int size, int flags) {
            if (size < 1 || size > 65536 || specCount == 15) {
                throw new IllegalArgumentException("chunk of " + size + " bytes, or more than 15 chunk specifications");
            }
            specs.write((size - 1) >>> 8);
            specs.write(size - 1);
            specs.write(flags);
            specCount++;
            return this;
        }

        Builder data(byte[] bytes) {
            data.writeBytes(bytes);
            return this;
        }

        byte[] build() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(options);
            out.write(specCount);
            out.writeBytes(specs.toByteArray());
            out.writeBytes(data.toByteArray());
            return out.toByteArray();
        }
    }
}
