package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The decoder's errors are the ones {@link dev.halibut.wire.FrameReader} gives for the same bytes (found by
 * {@link FrameDecoderFuzzTest}, which compares the two).
 */
class FrameDecoderErrorsTest {

    private EmbeddedChannel channel;
    private final List<Throwable> failures = new ArrayList<>();

    @BeforeEach
    void start() {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(new FrameDecoder(1024 * 1024, MessageMemoryBudget.unbounded(), () -> 1_000_000_000L,
                new ReadGate(channel)), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        failures.add(cause);
                    }
                });
    }

    @AfterEach
    void stop() {
        channel.finishAndReleaseAll();
    }

    @Test
    void anUnknownFrameTypeIsRefusedAtItsFirstByteNotWhenTheHeaderIsComplete() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {0x40});
        channel.writeInbound(in);

        assertThat(failures).singleElement().isExactlyInstanceOf(ProtocolException.class)
                .extracting(Throwable::getMessage).isEqualTo("Unknown frame type 0x40");
        assertThat(in.refCnt()).isZero();

        channel.close();
        assertThat(failures).as("no second error (header cut short) when the connection ends").hasSize(1);
    }

    @Test
    void aKnownTypeWhoseHeaderIsCutShortIsReportedWhenTheConnectionEnds() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x01, 0, 0}));
        assertThat(failures).isEmpty();

        channel.close();
        assertThat(failures).singleElement().isExactlyInstanceOf(ProtocolException.class)
                .extracting(Throwable::getMessage).asString().startsWith("Frame header cut short");
    }
}
