package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An HTTP request whose body is over the upgrade's bound is refused like any other request that is not an upgrade:
 * answered 413, the connection closed, and the listener told why (found by {@link WebSocketListenerFuzzTest}: Netty's
 * aggregator answered it on its own, so the listener only saw the connection end).
 */
class WebSocketUpgradeRefusalTest {

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.0", "HTTP/1.1"})
    void aRequestWithABodyOverTheBoundIsAnswered413AndTheRefusalToldToTheListener(String version) {
        List<String> refusals = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("route", new WebSocketUpgradeDetector((reason, failure) -> refusals.add(reason + " " + failure),
                5_000));
        ch.writeInbound(Unpooled.copiedBuffer("GET /halibut " + version + "\r\nHost: x\r\nContent-Length: "
                + (WebSocketRoute.MAX_UPGRADE_HEADERS + 1) + "\r\n\r\n", StandardCharsets.US_ASCII));

        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 413 ");
        answer.release();
        assertThat(refusals).singleElement().asString().contains("more than 8192 bytes").endsWith("true");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
