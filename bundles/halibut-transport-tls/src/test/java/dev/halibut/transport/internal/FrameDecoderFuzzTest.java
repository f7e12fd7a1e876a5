package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameReader;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageBudgetExceededException;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the transport's {@link FrameDecoder} (frames from the decrypted bytes of a connection, on the event loop)
 * against the wire module's blocking {@link FrameReader}, the reference for docs/protocol.md section 3, which has
 * its own fuzz test. The same bytes ({@link FrameFuzzInput}: cut into the fuzzer's chunks, in buffers of the fuzzer's
 * sizes, with a budget the fuzzer sets up) go through both. Contract:
 * <ul>
 *   <li>the decoder passes on the same frames, in the same order, with the same payloads (STREAM_DATA as
 *       {@link StreamData}) as the reader returns, up to where the reader stops;</li>
 *   <li>it fails where the reader fails, with the same kind of error and, for protocol errors, the same message
 *       (see {@link #assertSameEnd} for the one difference of timing), and with nothing but
 *       {@link ProtocolException} or {@link MessageBudgetExceededException}, at most once; a clean end between
 *       frames is no error;</li>
 *   <li>every buffer is released once its holders release what the decoder passed on (the test's input buffers and
 *       the decoder's own copies all come from one counting allocator), the budget gets back everything the
 *       decoder took, and a STREAM_DATA frame keeps at most four times its length of buffers.</li>
 * </ul>
 * The budget wait is deterministic: the event loop's clock is frozen and moves only when the test says, and the
 * wait the decoder is allowed is either over at its first look ({@code -1}) or endless until the test ends it.
 */
class FrameDecoderFuzzTest {

    /** The receiver's maximum message size here: small, so that large messages stay cheap to fuzz. */
    static final int MAX_MESSAGE_SIZE = 256 * 1024;

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void decodeFrames(byte[] input) {
        FrameFuzzInput in = FrameFuzzInput.parse(input);
        byte[] wire = in.wire();
        Reference expected = Reference.read(in, wire);
        try (Decoded actual = Decoded.run(in)) {
            assertThat(actual.frames).as("frames passed on").hasSameSizeAs(expected.frames);
            for (int i = 0; i < expected.frames.size(); i++) {
                Frame want = expected.frames.get(i);
                Object got = actual.frames.get(i);
                if (want.type() == FrameType.STREAM_DATA) {
                    assertThat(got).as("frame %d", i).isInstanceOf(StreamData.class);
                    StreamData data = (StreamData) got;
                    assertThat(data.length()).isEqualTo(want.payload().length);
                    assertThat(ByteBufUtil.getBytes(data.content())).as("STREAM_DATA %d", i).isEqualTo(want.payload());
                    assertThat(keptBytes(data.content())).as("buffer memory kept for STREAM_DATA %d", i)
                            .isLessThanOrEqualTo(4L * data.length());
                } else {
                    assertThat(got).as("frame %d", i).isInstanceOf(Frame.class);
                    assertThat(((Frame) got).type()).as("frame %d", i).isEqualTo(want.type());
                    assertThat(((Frame) got).payload()).as("frame %d (%s)", i, want.type()).isEqualTo(want.payload());
                }
            }
            assertSameEnd(expected, actual, wire.length);
            assertThat(actual.budget.used()).as("budget held after the connection ended (the decoder's all given back)")
                    .isEqualTo(actual.othersHold);
        }
    }

    /**
     * The reader's end and the decoder's agree. The one difference: the reader takes the budget for a payload's next
     * part as soon as its buffer is full, before those bytes arrive, while the decoder takes it when they arrive. So
     * when the peer's bytes end just where a large payload's buffer is full, the reader can fail for the budget where
     * the decoder (which never needed it) reports the frame cut short when the connection ends.
     */
    private static void assertSameEnd(Reference expected, Decoded actual, int wireLength) {
        if (expected.end instanceof EOFException) {
            assertThat(actual.failures).as("errors after a clean end between frames").isEmpty();
            return;
        }
        assertThat(actual.failures).as("errors where the reader failed with: %s", expected.end).hasSize(1);
        Throwable failure = actual.failures.get(0);
        if (expected.end instanceof MessageBudgetExceededException) {
            if (failure instanceof MessageBudgetExceededException) {
                assertThat(failure.getMessage()).contains("incompleteMessageBudget");
                return;
            }
            assertThat(expected.consumed).as("the reader failed for the budget before the input ended")
                    .isEqualTo(wireLength);
            assertThat(failure).isExactlyInstanceOf(ProtocolException.class).hasMessageContaining("frame cut short");
            return;
        }
        assertThat(failure).as("the reader's error: %s", expected.end).isExactlyInstanceOf(ProtocolException.class);
        if (expected.end.getMessage().startsWith("Frame header cut short")) {
            // The reader reads the type byte first and says which field the connection ended in.
            assertThat(failure.getMessage()).startsWith("Frame header cut short");
        } else {
            assertThat(failure.getMessage()).isEqualTo(expected.end.getMessage());
        }
    }

    /** The capacity of the buffers a STREAM_DATA's content keeps in memory (slices keep their whole buffer). */
    private static long keptBytes(ByteBuf content) {
        Map<ByteBuf, Boolean> roots = new IdentityHashMap<>();
        if (content instanceof CompositeByteBuf c) {
            assertThat(c.numComponents()).as("slices of one frame").isLessThanOrEqualTo(FrameDecoder.MAX_SLICES);
            for (int i = 0; i < c.numComponents(); i++) {
                roots.put(root(c.component(i)), true);
            }
        } else {
            roots.put(root(content), true);
        }
        return roots.keySet().stream().mapToLong(ByteBuf::capacity).sum();
    }

    private static ByteBuf root(ByteBuf b) {
        while (b.unwrap() != null) {
            b = b.unwrap();
        }
        return b;
    }

    /** What the wire module's blocking reader makes of the same bytes, with the same budget. */
    private record Reference(List<Frame> frames, IOException end, int consumed) {

        static Reference read(FrameFuzzInput in, byte[] wire) {
            MessageMemoryBudget budget = budget(in.capacity());
            if (!in.othersGiveBack()) {
                take(budget, in.taken()); // held for good; when the others give back, they do so before it matters
            }
            ByteArrayInputStream bytes = new ByteArrayInputStream(wire);
            FrameReader reader = new FrameReader(bytes, MAX_MESSAGE_SIZE, budget);
            List<Frame> frames = new ArrayList<>();
            while (true) {
                try {
                    frames.add(reader.read(Duration.ZERO));
                } catch (EOFException | ProtocolException | MessageBudgetExceededException e) {
                    return new Reference(frames, e, wire.length - bytes.available());
                } catch (IOException e) {
                    throw new AssertionError("The reference reader threw " + e, e);
                }
            }
        }
    }

    /** What the decoder passed on, in an {@link EmbeddedChannel} whose event loop the test drives. */
    static final class Decoded extends ChannelInboundHandlerAdapter implements AutoCloseable {
        final List<Object> frames = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();
        /** What the pipeline got that it must not: Netty would only log an error thrown by a handler here. */
        final List<Throwable> wrong = new ArrayList<>();
        final List<ByteBuf> inputs = new ArrayList<>();
        final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        final EmbeddedChannel channel = new EmbeddedChannel();
        final AtomicLong budgetWaitNanos;
        final MessageMemoryBudget budget;
        final boolean othersGiveBack;
        long othersHold;
        /** Whether reading stopped for the budget at some point (for the seed corpus's test). */
        boolean waited;

        private Decoded(FrameFuzzInput in) {
            budget = budget(in.capacity());
            othersHold = in.taken();
            take(budget, othersHold);
            othersGiveBack = in.othersGiveBack();
            // -1: the wait is over at the decoder's first look; MAX_VALUE: it waits until the test ends it.
            budgetWaitNanos = new AtomicLong(othersGiveBack ? Long.MAX_VALUE : -1);
            channel.config().setAllocator(alloc);
            channel.freezeTime();
            channel.pipeline().addLast(new FrameDecoder(MAX_MESSAGE_SIZE, budget, budgetWaitNanos::get,
                    new ReadGate(channel)), this);
        }

        static Decoded run(FrameFuzzInput in) {
            Decoded d = new Decoded(in);
            for (FrameFuzzInput.Chunk c : in.chunks()) {
                d.channel.writeInbound(d.buffer(c, in.slices()));
                if (c.runTasks()) {
                    d.lookAgain();
                }
            }
            d.lookAgain();
            if (d.waitingForBudget()) {
                d.budgetWaitNanos.set(-1); // the peer's bytes are all here: end the wait
                d.lookAgain();
            }
            assertThat(d.waitingForBudget()).as("still waiting for the budget after the wait ended").isFalse();
            d.channel.close();
            d.channel.checkException();
            if (!d.wrong.isEmpty()) {
                AssertionError e = new AssertionError("The decoder passed on what it must not: " + d.wrong);
                d.wrong.forEach(e::addSuppressed);
                throw e;
            }
            return d;
        }

        private ByteBuf buffer(FrameFuzzInput.Chunk c, boolean slice) {
            int size = c.bytes().length;
            int capacity = size * c.capacityFactor();
            ByteBuf root = alloc.heapBuffer(slice ? capacity + 16 : capacity);
            inputs.add(root);
            if (!slice) {
                return root.writeBytes(c.bytes());
            }
            // Bytes before and after what is passed on, as in a buffer TLS decrypted several records into.
            root.writerIndex(8).writeBytes(c.bytes()).writerIndex(root.capacity());
            return root.slice(8, size);
        }

        /** Reading stopped for the budget (a decoder that failed leaves it stopped: the connection is closed next). */
        private boolean waitingForBudget() {
            return !channel.config().isAutoRead() && failures.isEmpty();
        }

        /** Lets the decoder's retry run, if it waits for the budget; the others give their bytes back first. */
        private void lookAgain() {
            if (!waitingForBudget()) {
                return;
            }
            waited = true;
            if (othersGiveBack && othersHold > 0) {
                budget.release(othersHold);
                othersHold = 0;
            }
            channel.advanceTimeBy(1, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!failures.isEmpty()) {
                wrong.add(new AssertionError("Passed on after the decoder failed: " + msg));
            }
            frames.add(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof ProtocolException || cause instanceof MessageBudgetExceededException)) {
                wrong.add(new AssertionError("Undocumented exception from the decoder: " + cause, cause));
                return;
            }
            failures.add(cause);
        }

        /** Releases what the decoder passed on, then checks that no buffer is left. */
        @Override
        public void close() {
            List<StreamData> data = frames.stream().filter(StreamData.class::isInstance).map(StreamData.class::cast).toList();
            data.forEach(StreamData::release);
            // Frames that arrived in one buffer share it (and its count) until the last of them is released.
            assertThat(data).as("STREAM_DATA buffers released").allSatisfy(d -> assertThat(d.content().refCnt()).isZero());
            channel.finishAndReleaseAll();
            FuzzHarness.assertAllReleased(inputs, alloc);
        }
    }

    private static MessageMemoryBudget budget(long capacity) {
        return capacity == Long.MAX_VALUE ? MessageMemoryBudget.unbounded() : new MessageMemoryBudget(capacity);
    }

    private static void take(MessageMemoryBudget budget, long bytes) {
        try {
            assertThat(budget.reserve(bytes, 0)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
