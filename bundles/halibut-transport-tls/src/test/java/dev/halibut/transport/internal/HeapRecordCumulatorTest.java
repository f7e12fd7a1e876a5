package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Received bytes are gathered in order in one heap buffer for the JDK's engine, the same buffer is kept while the
 * unfinished part of a record and the next read fit in it, and every buffer given to or replaced by the cumulator is
 * released.
 */
class HeapRecordCumulatorTest {

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final HeapRecordCumulator cumulator = HeapRecordCumulator.INSTANCE;

    @Test
    void gathersDirectReadsInOrderInAHeapBufferAndReleasesThem() {
        byte[] first = bytes(1000, 1);
        byte[] second = bytes(3000, 2);
        ByteBuf read1 = direct(first);
        ByteBuf read2 = direct(second);

        ByteBuf c = cumulator.cumulate(alloc, Unpooled.EMPTY_BUFFER, read1);
        c = cumulator.cumulate(alloc, c, read2);

        assertThat(c.hasArray()).isTrue();
        assertThat(read1.refCnt()).isZero();
        assertThat(read2.refCnt()).isZero();
        byte[] all = new byte[c.readableBytes()];
        c.readBytes(all);
        assertThat(all).startsWith(first).endsWith(second).hasSize(4000);
        c.release();
    }

    @Test
    void keepsItsBufferWhileTheUnfinishedRecordAndTheNextReadFit() {
        ByteBuf c = cumulator.cumulate(alloc, Unpooled.EMPTY_BUFFER, direct(bytes(64 * 1024, 3)));
        int capacity = c.capacity();
        byte[] unfinished = new byte[16 * 1024];
        for (int round = 0; round < 20; round++) {
            // The engine consumed all but an unfinished record; the next 64 KiB read comes in behind it.
            c.skipBytes(c.readableBytes() - unfinished.length);
            c.getBytes(c.readerIndex(), unfinished);
            byte[] next = bytes(64 * 1024, 10 + round);
            ByteBuf same = cumulator.cumulate(alloc, c, direct(next));

            assertThat(same).isSameAs(c);
            assertThat(same.capacity()).isEqualTo(capacity);
            byte[] head = new byte[unfinished.length];
            same.getBytes(same.readerIndex(), head);
            assertThat(head).isEqualTo(unfinished);
            byte[] tail = new byte[next.length];
            same.getBytes(same.readerIndex() + unfinished.length, tail);
            assertThat(tail).isEqualTo(next);
        }
        c.release();
    }

    @Test
    void aReadThatDoesNotFitGetsABufferOfItsSizeAndTheOldOneIsReleased() {
        ByteBuf c = cumulator.cumulate(alloc, Unpooled.EMPTY_BUFFER, direct(bytes(10, 4)));
        c.skipBytes(4);
        byte[] big = bytes(HeapRecordCumulator.CAPACITY, 5);

        ByteBuf bigger = cumulator.cumulate(alloc, c, direct(big));

        assertThat(c.refCnt()).isZero();
        assertThat(bigger.hasArray()).isTrue();
        assertThat(bigger.readableBytes()).isEqualTo(6 + big.length);
        byte[] tail = new byte[big.length];
        bigger.getBytes(bigger.readerIndex() + 6, tail);
        assertThat(tail).isEqualTo(big);
        bigger.release();
    }

    @Test
    void aSmallReadGetsABufferOfItsSizeAndABulkReadOneToKeep() {
        ByteBuf small = cumulator.cumulate(alloc, Unpooled.EMPTY_BUFFER, direct(bytes(300, 8)));
        ByteBuf bulk = cumulator.cumulate(alloc, Unpooled.EMPTY_BUFFER,
                direct(bytes(HeapRecordCumulator.BULK_READ, 9)));

        assertThat(small.capacity()).isLessThan(HeapRecordCumulator.BULK_READ);
        assertThat(small.readableBytes()).isEqualTo(300);
        assertThat(bulk.capacity()).isGreaterThanOrEqualTo(HeapRecordCumulator.CAPACITY);
        small.release();
        bulk.release();
    }

    @Test
    void aSharedCumulationIsNotWrittenInto() {
        ByteBuf c = cumulator.cumulate(alloc, Unpooled.EMPTY_BUFFER, direct(bytes(100, 6)));
        ByteBuf view = c.retainedSlice(); // someone else still reads these bytes
        byte[] before = new byte[100];
        view.getBytes(0, before);

        ByteBuf next = cumulator.cumulate(alloc, c, direct(bytes(100, 7)));

        assertThat(next).isNotSameAs(c);
        assertThat(next.readableBytes()).isEqualTo(200);
        byte[] after = new byte[100];
        view.getBytes(0, after);
        assertThat(after).isEqualTo(before);
        view.release();
        assertThat(c.refCnt()).isZero();
        next.release();
    }

    private ByteBuf direct(byte[] content) {
        ByteBuf b = alloc.directBuffer(content.length);
        return b.writeBytes(content);
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
