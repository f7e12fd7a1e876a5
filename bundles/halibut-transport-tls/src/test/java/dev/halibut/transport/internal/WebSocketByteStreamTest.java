package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WebSocketByteStreamTest {

    @Test
    void writesBecomeBinaryFramesOfAtMost64KiBCarryingTheBytesInOrder() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketByteStream());
        byte[] data = new byte[200_000];
        new Random(1).nextBytes(data);
        assertThat(ch.writeOutbound(Unpooled.wrappedBuffer(data))).isTrue();

        ByteBuf all = Unpooled.buffer();
        int frames = 0;
        for (Object o; (o = ch.readOutbound()) != null; frames++) {
            assertThat(o).isInstanceOf(BinaryWebSocketFrame.class);
            BinaryWebSocketFrame f = (BinaryWebSocketFrame) o;
            assertThat(f.content().readableBytes()).isLessThanOrEqualTo(WebSocketRoute.MAX_FRAME_PAYLOAD);
            all.writeBytes(f.content());
            f.release();
        }
        assertThat(frames).isEqualTo(4);
        byte[] got = new byte[all.readableBytes()];
        all.readBytes(got);
        assertThat(got).isEqualTo(data);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void binaryAndContinuationFramesArriveAsPlainBytes() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketByteStream());
        ch.writeInbound(new BinaryWebSocketFrame(false, 0, Unpooled.copiedBuffer("HALIBUT-", StandardCharsets.US_ASCII)));
        ch.writeInbound(new ContinuationWebSocketFrame(Unpooled.copiedBuffer("SERVER 1", StandardCharsets.US_ASCII)));
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = ch.readInbound()) != null; ) {
            sb.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        assertThat(sb).hasToString("HALIBUT-SERVER 1");
        ch.finishAndReleaseAll();
    }

    @Test
    void aPingIsAnsweredWithItsPongAndPongsAreDropped() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketByteStream());
        ch.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("p1", StandardCharsets.US_ASCII)));
        ch.writeInbound(new PongWebSocketFrame(Unpooled.copiedBuffer("p2", StandardCharsets.US_ASCII)));
        PongWebSocketFrame pong = ch.readOutbound();
        assertThat(pong.content().toString(StandardCharsets.US_ASCII)).isEqualTo("p1");
        pong.release();
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseFrameIsAnsweredAndEndsTheConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketByteStream());
        ch.writeInbound(new CloseWebSocketFrame(1001, "going away"));
        CloseWebSocketFrame answer = ch.readOutbound();
        assertThat(answer.statusCode()).isEqualTo(1000);
        answer.release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aTextFrameIsAProtocolErrorThatClosesTheConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketByteStream());
        assertThatThrownBy(() -> ch.writeInbound(new TextWebSocketFrame("hello")))
                .isInstanceOf(IOException.class).hasMessageContaining("binary frames only");
        CloseWebSocketFrame answer = ch.readOutbound();
        assertThat(answer.statusCode()).isEqualTo(1003);
        answer.release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesThatDidNotComeThroughTheWebSocketDecoderAreAProtocolErrorNotPassedOn() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketByteStream());
        ByteBuf raw = Unpooled.copiedBuffer("HALIBUT-CLIENT 1\r\n\r\n", StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> ch.writeInbound(raw)).isInstanceOf(IOException.class)
                .hasMessageContaining("outside WebSocket frames").hasMessageContaining("RFC 6455");

        assertThat((Object) ch.readInbound()).as("passed on to the identification").isNull();
        assertThat(raw.refCnt()).isZero();
        Object answer = ch.readOutbound();
        assertThat(answer).isInstanceOf(CloseWebSocketFrame.class);
        assertThat(((CloseWebSocketFrame) answer).statusCode()).isEqualTo(1002);
        ((CloseWebSocketFrame) answer).release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
