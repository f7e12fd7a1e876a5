package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Gathers the bytes read from the socket in one heap buffer for {@code SslHandler} when the JDK's engine decrypts them.
 * The JDK's engine decrypts a record in place in the buffer it is given, and its AES-GCM on direct memory (where the
 * socket reads into) goes through small internal copies that cost about twice its work on an array (docs/benchmarks.md,
 * "Streams against the raw TLS copy, round 2"); one copy of each read into an array here costs much less. Netty's own
 * cumulator for the JDK's engine also copies, into a direct buffer it grows. The buffer here is kept while it has room:
 * after a read it holds at most the part of a record that has not fully arrived, which moves to its front before the
 * next read is added, so a connection that keeps receiving keeps one buffer of {@link #CAPACITY}; a small read gets a
 * buffer of its size. Once all its bytes are decrypted, {@code SslHandler} releases it (an idle connection holds
 * none). OpenSSL keeps Netty's own cumulator.
 */
public final class HeapRecordCumulator implements ByteToMessageDecoder.Cumulator {

    /** Room for a socket read (at most 64 KiB) after the unfinished part of a record (at most about 16.7 KiB). */
    static final int CAPACITY = 96 * 1024;

    /** A read of at least one whole record's worth: a transfer is under way, so the buffer is sized to be kept. */
    static final int BULK_READ = 16 * 1024;

    public static final HeapRecordCumulator INSTANCE = new HeapRecordCumulator();

    private HeapRecordCumulator() {
    }

    @Override
    public ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (cumulation == in) {
            in.release(); // the same buffer twice: nothing to add (as Netty's own cumulators do)
            return cumulation;
        }
        try {
            int incoming = in.readableBytes();
            int left = cumulation.readableBytes();
            ByteBuf target = cumulation;
            if (!cumulation.hasArray() || cumulation.refCnt() > 1 || cumulation.isReadOnly()
                    || cumulation.capacity() - left < incoming) {
                // The first read, or one that does not fit: a new array that holds what is left and this read, with
                // room for the reads to come when this one is bulk (a small call's read gets what it needs).
                int needed = left + incoming;
                target = alloc.heapBuffer(incoming >= BULK_READ ? Math.max(CAPACITY, needed) : needed);
                target.writeBytes(cumulation, cumulation.readerIndex(), left);
                cumulation.release();
            } else if (cumulation.writableBytes() < incoming) {
                cumulation.discardReadBytes(); // the unfinished record moves to the front
            }
            target.writeBytes(in, in.readerIndex(), incoming);
            return target;
        } finally {
            in.release();
        }
    }
}
