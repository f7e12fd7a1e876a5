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

    @org.junit.jupiter.api.Test
    void aRequestIsRefusedOnceWhenTheUpgradeTimesOutAndTheAggregatorThenFindsItTooLarge() throws Exception {
        // The fuzzer's input: a request (declaring a body of 1,000,008 bytes) still incomplete when the upgrade times
        // out; the timeout refused it and closed, and the aggregator, at the close, refused it again as too large.
        byte[] input;
        try (java.io.InputStream in = getClass().getResourceAsStream(
                "WebSocketListenerFuzzTestInputs/routeUpgradeAndFrames/finding-two-refusals-for-pipelined-requests")) {
            input = in.readAllBytes();
        }
        int chunk = 1 + (input[0] & 0x7F);
        WebSocketListenerFuzzTest.Listener listener = new WebSocketListenerFuzzTest.Listener();
        for (int at = 1; at < input.length; at += chunk) {
            listener.receive(java.util.Arrays.copyOfRange(input, at, Math.min(input.length, at + chunk)));
        }
        listener.end();

        assertThat(listener.refusals).as("refusals told to the listener").hasSize(1);
        assertThat(listener.written.toString(StandardCharsets.ISO_8859_1)).as("answers")
                .doesNotContain("HTTP/1.1 400 ");
    }
}
