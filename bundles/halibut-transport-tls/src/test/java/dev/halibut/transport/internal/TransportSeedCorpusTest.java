package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HttpProxy;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed seeds of the transport's fuzz tests ({@link TransportSeedCorpus}) still say what their names say, so
 * that the corpus keeps starting the fuzzer on the decoders' interesting paths: {@code valid-*} inputs decode without
 * an error, {@code edge-*} inputs fail, and the budget's seeds reach the budget.
 */
class TransportSeedCorpusTest {

    @ParameterizedTest
    @ValueSource(strings = {"valid-conversation-in-one-read", "valid-conversation-byte-by-byte",
        "valid-conversation-in-7-byte-slices-of-roomy-buffers", "valid-stream-data-as-slices",
        "valid-stream-data-in-small-pieces-copied", "valid-stream-data-in-more-pieces-than-max-slices",
        "valid-large-request-unbounded-budget", "valid-large-request-within-the-budget"})
    void validFrameSeedsDecodeWithoutWaitingForTheBudget(String name) throws IOException {
        try (FrameDecoderFuzzTest.Decoded d = FrameDecoderFuzzTest.Decoded.run(FrameFuzzInput.parse(frameSeed(name)))) {
            assertThat(d.failures).isEmpty();
            assertThat(d.frames).isNotEmpty().last().isInstanceOf(Frame.class);
            assertThat(d.waited).isFalse();
        }
    }

    @Test
    void theWaitingSeedWaitsForTheBudgetThenGetsItsRequest() throws IOException {
        try (FrameDecoderFuzzTest.Decoded d = FrameDecoderFuzzTest.Decoded.run(
                FrameFuzzInput.parse(frameSeed("valid-large-request-waits-until-others-give-back")))) {
            assertThat(d.waited).isTrue();
            assertThat(d.failures).isEmpty();
            assertThat(d.frames).extracting(f -> ((Frame) f).type()).containsExactly(FrameType.REQUEST, FrameType.NEXT);
            assertThat(((Frame) d.frames.get(0)).payload()).hasSize(3 * FrameType.MAX_STREAM_CHUNK + 8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"edge-large-request-over-the-budget-others-hold",
        "edge-large-request-over-the-whole-budget-waits-then-fails"})
    void theBudgetSeedsWaitThenFailForTheBudget(String name) throws IOException {
        try (FrameDecoderFuzzTest.Decoded d = FrameDecoderFuzzTest.Decoded.run(FrameFuzzInput.parse(frameSeed(name)))) {
            assertThat(d.waited).isTrue();
            assertThat(d.failures).singleElement().extracting(Throwable::getMessage).asString()
                    .contains("incompleteMessageBudget");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"edge-request-ends-where-its-buffer-is-full", "edge-message-at-the-limit-cut-short",
        "edge-message-one-past-the-limit", "edge-length-4-gib", "edge-unknown-type", "edge-control-frame-with-payload",
        "edge-stream-data-empty", "edge-stream-data-one-too-long", "edge-stream-end-23-bytes",
        "edge-stream-abort-one-too-long", "edge-header-cut-short", "edge-stream-data-cut-short-in-slices"})
    void edgeFrameSeedsFail(String name) throws IOException {
        try (FrameDecoderFuzzTest.Decoded d = FrameDecoderFuzzTest.Decoded.run(FrameFuzzInput.parse(frameSeed(name)))) {
            assertThat(d.failures).hasSize(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"valid-client-in-one-read", "valid-client-byte-by-byte", "valid-subscriber-in-5-byte-reads",
        "valid-server-with-a-header", "edge-line-of-64-bytes", "edge-16-lines"})
    void validIdentificationSeedsAreAccepted(String name) throws IOException {
        byte[] input = identificationSeed(name);
        int maxLine = (input[0] & 0x80) != 0 ? 64 : Identification.MAX_LINE_LENGTH;
        assertThat(new IdentificationBlock(maxLine).feed(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, 1,
                input.length)))).isNotNull();
    }

    @Test
    void theUpgradeSeedIsUpgradedAndCarriesTheIdentificationAndFrames() throws IOException {
        byte[] input = resource("WebSocketListenerFuzzTestInputs/routeUpgradeAndFrames/valid-upgrade-then-halibut-in-frames");
        String sent = new String(input, 1, input.length - 1, StandardCharsets.ISO_8859_1);
        int head = sent.indexOf("\r\n\r\n") + 4;
        WebSocketListenerFuzzTest.Listener listener = new WebSocketListenerFuzzTest.Listener();
        listener.receive(Arrays.copyOfRange(input, 1, 1 + head));
        listener.receive(Arrays.copyOfRange(input, 1 + head, input.length));
        listener.end();
        assertThat(listener.written.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101 Switching Protocols");
        assertThat(listener.passedOn.toString(StandardCharsets.US_ASCII))
                .isEqualTo("HALIBUT-CLIENT 1\r\n\r\n\u0012\0\0\0\0\u0010\0\0\0\0");
        assertThat(listener.refusals).isEmpty();
    }

    @Test
    void framesRightBehindTheUpgradeRequestAreRefusedNotPassedOnUnframed() throws IOException {
        byte[] input = resource("WebSocketListenerFuzzTestInputs/routeUpgradeAndFrames/"
                + "edge-frames-right-behind-the-upgrade-request");
        WebSocketListenerFuzzTest.Listener listener = new WebSocketListenerFuzzTest.Listener();
        listener.receive(Arrays.copyOfRange(input, 1, input.length)); // all in one read
        listener.end();
        assertThat(listener.written.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101 Switching Protocols");
        assertThat(listener.passedOn.size()).as("bytes passed on to the identification").isZero();
        assertThat(listener.errors).singleElement().asString().contains("outside WebSocket frames");
    }

    @ParameterizedTest
    @ValueSource(strings = {"valid-200-in-one-read", "valid-200-with-headers-byte-by-byte",
        "valid-200-without-reason-then-tls-bytes", "valid-204-split-in-header-lines-then-bytes-in-3-byte-reads",
        "valid-header-at-the-bound"})
    void validProxyAnswersOpenTheTunnel(String name) throws IOException {
        HttpConnectHandlerFuzzTest.Tunnel tunnel = proxyAnswer(name);
        assertThat(tunnel.opened).isEqualTo(1);
        assertThat(tunnel.failures).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"edge-407-with-basic-challenge", "edge-407-with-credentials-in-7-byte-reads",
        "edge-403-forbidden", "edge-503-with-body", "edge-http-2-status-line", "edge-tls-server-hello",
        "edge-bare-line-feeds", "edge-closed-inside-the-header", "edge-header-one-past-the-bound"})
    void edgeProxyAnswersFailTheConnect(String name) throws IOException {
        HttpConnectHandlerFuzzTest.Tunnel tunnel = proxyAnswer(name);
        assertThat(tunnel.opened).isZero();
        assertThat(tunnel.failures).singleElement().isInstanceOf(ProxyConnectException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"valid-101-then-frames-in-reads-of-their-own", "valid-101-and-frames-in-one-read",
        "valid-101-and-frames-byte-by-byte"})
    void validUpgradeAnswersUpgradeAndCarryTheListenersBytes(String name) throws IOException {
        WebSocketClientUpgradeFuzzTest.Client client = upgradeAnswer(name);
        assertThat(client.upgraded).isEqualTo(1);
        assertThat(client.errors).isEmpty();
        assertThat(client.passedOn.toString(StandardCharsets.US_ASCII))
                .isEqualTo("HALIBUT-SERVER 1\r\n\r\n\u0011\0\0\0\0\u0012\0\0\0\0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"edge-101-without-subprotocol", "edge-101-other-subprotocol", "edge-101-wrong-accept",
        "edge-101-without-upgrade-header", "edge-404-with-body", "edge-200-until-the-close", "edge-raw-halibut-listener",
        "edge-head-too-large", "edge-status-line-too-long"})
    void edgeUpgradeAnswersFailTheUpgrade(String name) throws IOException {
        WebSocketClientUpgradeFuzzTest.Client client = upgradeAnswer(name);
        assertThat(client.upgraded).isZero();
        assertThat(client.errors).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"edge-101-then-text-frame", "edge-101-then-masked-frame", "edge-101-then-reserved-opcode",
        "edge-101-then-frame-one-past-64-kib"})
    void edgeFramesAfterTheUpgradeFailTheConnection(String name) throws IOException {
        WebSocketClientUpgradeFuzzTest.Client client = upgradeAnswer(name);
        assertThat(client.upgraded).isEqualTo(1);
        assertThat(client.errors).isNotEmpty();
        assertThat(client.passedOn.size()).isZero();
    }

    /** An upgrade answer seed ({accept} replaced), sent in its reads, then the listener closes. */
    private static WebSocketClientUpgradeFuzzTest.Client upgradeAnswer(String name) throws IOException {
        byte[] input = resource("WebSocketClientUpgradeFuzzTestInputs/answerUpgrade/" + name);
        WebSocketClientUpgradeFuzzTest.Client client = new WebSocketClientUpgradeFuzzTest.Client();
        byte[] answer = WebSocketClientUpgradeFuzzTest.replace(Arrays.copyOfRange(input, 1, input.length),
                WebSocketClientUpgradeFuzzTest.ACCEPT, client.accept.getBytes(StandardCharsets.US_ASCII));
        int split = (input[0] & 0x80) != 0 ? WebSocketClientUpgradeFuzzTest.endOfHttpHead(answer) : 0;
        int chunk = 1 + (input[0] & 0x7F);
        for (int at = 0; at < answer.length; ) {
            int end = Math.min(answer.length, at < split ? Math.min(split, at + chunk) : at + chunk);
            client.receive(Arrays.copyOfRange(answer, at, end));
            at = end;
        }
        client.end();
        return client;
    }

    /** A proxy answer seed, sent in its reads, then the proxy closes. */
    private static HttpConnectHandlerFuzzTest.Tunnel proxyAnswer(String name) throws IOException {
        byte[] input = resource("HttpConnectHandlerFuzzTestInputs/readProxyAnswer/" + name);
        int chunk = 1 + (input[0] & 0x7F);
        HttpConnectHandlerFuzzTest.Tunnel tunnel = new HttpConnectHandlerFuzzTest.Tunnel(
                new HttpProxy("proxy", 3128));
        for (int at = 1; at < input.length; at += chunk) {
            tunnel.receive(Arrays.copyOfRange(input, at, Math.min(input.length, at + chunk)));
        }
        tunnel.end();
        return tunnel;
    }

    private static byte[] frameSeed(String name) throws IOException {
        return resource("FrameDecoderFuzzTestInputs/decodeFrames/" + name);
    }

    private static byte[] identificationSeed(String name) throws IOException {
        return resource("IdentificationBlockFuzzTestInputs/feedBlock/" + name);
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = TransportSeedCorpusTest.class.getResourceAsStream(path)) {
            assertThat(in).as("seed %s", path).isNotNull();
            return in.readAllBytes();
        }
    }
}
