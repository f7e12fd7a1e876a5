package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/** EXPERIMENT: buffer() answers with heap memory; ioBuffer() (socket reads) stays direct. */
public final class HeapPreferringAllocator implements ByteBufAllocator {
    private final ByteBufAllocator d;

    public HeapPreferringAllocator(ByteBufAllocator d) {
        this.d = d;
    }

    @Override public ByteBuf buffer() { return d.heapBuffer(); }
    @Override public ByteBuf buffer(int i) { return d.heapBuffer(i); }
    @Override public ByteBuf buffer(int i, int m) { return d.heapBuffer(i, m); }
    @Override public ByteBuf ioBuffer() { return d.ioBuffer(); }
    @Override public ByteBuf ioBuffer(int i) { return d.ioBuffer(i); }
    @Override public ByteBuf ioBuffer(int i, int m) { return d.ioBuffer(i, m); }
    @Override public ByteBuf heapBuffer() { return d.heapBuffer(); }
    @Override public ByteBuf heapBuffer(int i) { return d.heapBuffer(i); }
    @Override public ByteBuf heapBuffer(int i, int m) { return d.heapBuffer(i, m); }
    @Override public ByteBuf directBuffer() { return d.directBuffer(); }
    @Override public ByteBuf directBuffer(int i) { return d.directBuffer(i); }
    @Override public ByteBuf directBuffer(int i, int m) { return d.directBuffer(i, m); }
    @Override public CompositeByteBuf compositeBuffer() { return d.compositeHeapBuffer(); }
    @Override public CompositeByteBuf compositeBuffer(int m) { return d.compositeHeapBuffer(m); }
    @Override public CompositeByteBuf compositeHeapBuffer() { return d.compositeHeapBuffer(); }
    @Override public CompositeByteBuf compositeHeapBuffer(int m) { return d.compositeHeapBuffer(m); }
    @Override public CompositeByteBuf compositeDirectBuffer() { return d.compositeDirectBuffer(); }
    @Override public CompositeByteBuf compositeDirectBuffer(int m) { return d.compositeDirectBuffer(m); }
    @Override public boolean isDirectBufferPooled() { return d.isDirectBufferPooled(); }
    @Override public int calculateNewCapacity(int a, int b) { return d.calculateNewCapacity(a, b); }
}
