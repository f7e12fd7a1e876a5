package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CodecException;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/** What the transport's fuzz harnesses share: feeding a read into their channel, and the end-of-input checks. */
final class FuzzHarness {

    private FuzzHarness() {
    }

    /**
     * One read from the peer: {@code bytes} in a buffer of {@code alloc} (recorded in {@code inputs}, so that
     * {@link #assertAllReleased} checks it), read by {@code channel} unless it is closed already (a closed connection
     * reads nothing more). What the pipeline throws goes to {@code thrown}.
     */
    static void feed(EmbeddedChannel channel, UnpooledByteBufAllocator alloc, List<ByteBuf> inputs, byte[] bytes,
                     Consumer<Exception> thrown) {
        ByteBuf in = alloc.heapBuffer(bytes.length).writeBytes(bytes);
        inputs.add(in);
        if (!channel.isOpen()) {
            in.release();
            return;
        }
        try {
            channel.writeInbound(in);
        } catch (Exception e) {
            thrown.accept(e);
        }
    }

    /**
     * Sorts what a WebSocket pipeline threw into {@code channel}'s caller: an error fired after the connection closed
     * in the same read (EmbeddedChannel's close() takes the handlers out of the pipeline at once, a real channel's only
     * later, so there the handshake handler gets it, and EmbeddedChannel rethrows what reached the pipeline's end) is a
     * documented error if it is an {@link IOException} or one of Netty's {@link CodecException}s; anything else is
     * {@code wrong}.
     */
    static void thrownAfterClose(EmbeddedChannel channel, Exception e, List<Throwable> errors, List<Throwable> wrong,
                                 String pipeline) {
        if (!channel.isOpen() && (e instanceof IOException || e instanceof CodecException)) {
            errors.add(e);
        } else {
            wrong.add(new AssertionError("Undocumented exception from the " + pipeline + ": " + e, e));
        }
    }

    /**
     * Fails with everything the harness recorded that must not happen (each kept as a suppressed error, so the fuzzer's
     * report shows their stacks), if it recorded anything.
     */
    static void assertNothingWrong(String what, List<? extends Throwable> wrong) {
        if (!wrong.isEmpty()) {
            AssertionError e = new AssertionError(what + " " + wrong);
            wrong.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Every buffer the test fed in, and every buffer allocated from {@code alloc}, was released. */
    static void assertAllReleased(List<ByteBuf> inputs, UnpooledByteBufAllocator alloc) {
        assertThat(inputs).as("input buffers released").allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(alloc.metric().usedHeapMemory()).as("heap buffers not released").isZero();
        assertThat(alloc.metric().usedDirectMemory()).as("direct buffers not released").isZero();
    }
}
