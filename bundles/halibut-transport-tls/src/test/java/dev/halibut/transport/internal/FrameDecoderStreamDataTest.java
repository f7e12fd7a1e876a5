package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * STREAM_DATA is passed on in the buffers it arrived in ({@link StreamData}) rather than copied into an array, and
 * every buffer the decoder keeps is released: when the frame's holder releases it, when the connection ends in the
 * middle of a frame, and at once for pieces too small to keep their buffers for. Input buffers are unpooled, so
 * their reference counts show exactly who still holds them.
 */
class FrameDecoderStreamDataTest {

    private EmbeddedChannel channel;
    private final List<Throwable> failures = new ArrayList<>();
    private final List<ByteBuf> inputs = new ArrayList<>();

    @BeforeEach
    void start() {
        channel = new EmbeddedChannel();
        FrameDecoder decoder = new FrameDecoder(1024 * 1024, MessageMemoryBudget.unbounded(), () -> 1_000_000_000L,
                new ReadGate(channel));
        channel.pipeline().addLast(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failures.add(cause);
            }
        });
    }

    @AfterEach
    void stop() {
        Object left;
        while ((left = channel.readInbound()) != null) {
            ((StreamData) left).release();
        }
        channel.finishAndReleaseAll();
    }

    @Test
    void aFrameInLargePiecesIsPassedOnAsSlicesOfThemWithoutACopy() {
        byte[] payload = content(FrameType.MAX_STREAM_CHUNK);
        byte[] wire = frame(payload);
        // Four pieces of about 16 KiB each, as TLS records decrypt them.
        for (int at = 0; at < wire.length; at += 16 * 1024 + 5) {
            feed(Arrays.copyOfRange(wire, at, Math.min(wire.length, at + 16 * 1024 + 5)));
        }

        StreamData data = channel.readInbound();
        assertThat(data.length()).isEqualTo(payload.length);
        assertThat(ByteBufUtil.getBytes(data.content())).isEqualTo(payload);
        assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).as("kept for the reader").isEqualTo(1));

        data.release();
        assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).isZero());
    }

    @Test
    void piecesUnderAQuarterOfTheirBufferAreCopiedAndTheirBuffersReleasedAtOnce() {
        byte[] payload = content(3000);
        byte[] wire = frame(payload);
        for (int at = 0; at < wire.length; at += 1000) {
            // 1,000 bytes in a buffer of 64 KiB: keeping a slice would keep 64 times what it carries.
            ByteBuf in = Unpooled.buffer(64 * 1024);
            in.writeBytes(wire, at, Math.min(1000, wire.length - at));
            inputs.add(in);
            channel.writeInbound(in);
        }

        assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).isZero());
        StreamData data = channel.readInbound();
        assertThat(ByteBufUtil.getBytes(data.content())).isEqualTo(payload);
        data.release();
        assertThat(data.content().refCnt()).isZero();
    }

    @Test
    void aFrameInMorePiecesThanMaxSlicesIsCopiedIntoOneBuffer() {
        byte[] payload = content(FrameType.MAX_STREAM_CHUNK);
        byte[] wire = frame(payload);
        int piece = wire.length / (FrameDecoder.MAX_SLICES * 2);
        for (int at = 0; at < wire.length; at += piece) {
            feed(Arrays.copyOfRange(wire, at, Math.min(wire.length, at + piece)));
        }

        assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).isZero());
        StreamData data = channel.readInbound();
        assertThat(ByteBufUtil.getBytes(data.content())).isEqualTo(payload);
        data.release();
        assertThat(data.content().refCnt()).isZero();
    }

    @Test
    void theConnectionEndingInTheMiddleOfAFrameReleasesWhatArrivedOfIt() {
        byte[] wire = frame(content(FrameType.MAX_STREAM_CHUNK));
        feed(Arrays.copyOfRange(wire, 0, 20_000));
        feed(Arrays.copyOfRange(wire, 20_000, 40_000));
        assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).as("held for the frame").isEqualTo(1));
        assertThat((Object) channel.readInbound()).isNull();

        channel.pipeline().fireChannelInactive();

        assertThat(inputs).allSatisfy(in -> assertThat(in.refCnt()).isZero());
        assertThat(failures).singleElement().isInstanceOf(ProtocolException.class)
                .extracting(Throwable::getMessage).asString().contains("STREAM_DATA frame cut short: 39995 of 65536");
    }

    @Test
    void framesAfterEachOtherInOneBufferShareItUntilBothAreReleased() {
        byte[] first = content(30_000, 1);
        byte[] second = content(30_000, 2);
        byte[] both = new byte[2 * (5 + 30_000)];
        System.arraycopy(frame(first), 0, both, 0, 5 + 30_000);
        System.arraycopy(frame(second), 0, both, 5 + 30_000, 5 + 30_000);
        ByteBuf in = feed(both);

        StreamData a = channel.readInbound();
        StreamData b = channel.readInbound();
        assertThat(ByteBufUtil.getBytes(a.content())).isEqualTo(first);
        assertThat(ByteBufUtil.getBytes(b.content())).isEqualTo(second);
        a.release();
        assertThat(in.refCnt()).isEqualTo(1);
        b.release();
        assertThat(in.refCnt()).isZero();
    }

    private ByteBuf feed(byte[] bytes) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        inputs.add(in);
        channel.writeInbound(in);
        return in;
    }

    private static byte[] frame(byte[] payload) {
        byte[] wire = new byte[5 + payload.length];
        wire[0] = (byte) FrameType.STREAM_DATA.code();
        wire[1] = (byte) (payload.length >>> 24);
        wire[2] = (byte) (payload.length >>> 16);
        wire[3] = (byte) (payload.length >>> 8);
        wire[4] = (byte) payload.length;
        System.arraycopy(payload, 0, wire, 5, payload.length);
        return wire;
    }

    private static byte[] content(int length) {
        return content(length, length);
    }

    private static byte[] content(int length, long seed) {
        byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
