package dev.halibut.transport.internal;

import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes the seed corpus of the transport's fuzz tests: {@code valid-*} inputs (real traffic, cut and buffered in
 * the ways TLS hands it on, and the budget's paths: a large message that grows within it, one that waits until other
 * connections give memory back) and {@code edge-*} inputs next to each limit. Deterministic, so regenerating changes
 * files only when the layout or the protocol changed. Inputs found by fuzzing ({@code finding-*}, {@code harness-*})
 * are kept by hand, not written here.
 *
 * <pre>
 * mvn -B -o -q -pl bundles/halibut-transport-tls -am test-compile -Dhalibut.fuzz.short.skip=true
 * java -cp bundles/halibut-transport-tls/target/test-classes:bundles/halibut-wire/target/classes:bundles/halibut-api/target/classes \
 *     dev.halibut.transport.internal.TransportSeedCorpus bundles/halibut-transport-tls/src/test/resources
 * </pre>
 */
public final class TransportSeedCorpus {

    private static final int KIB = 1024;
    private final Path resources;

    private TransportSeedCorpus(Path resources) {
        this.resources = resources;
    }

    public static void main(String[] args) throws IOException {
        TransportSeedCorpus corpus = new TransportSeedCorpus(Path.of(args[0]));
        corpus.frames();
        corpus.identification();
        corpus.webSocket();
        corpus.proxyAnswers();
        corpus.upgradeAnswers();
    }

    private void frames() throws IOException {
        byte[] conversation = concat(frame(FrameType.REQUEST, text("a small compressed request")),
                frame(FrameType.STREAM_DATA, text("the first stream's content")),
                frame(FrameType.STREAM_END, new byte[FrameType.STREAM_END_SIZE]),
                frame(FrameType.RESPONSE, text("the response")), control(FrameType.NEXT), control(FrameType.PROCEED),
                frame(FrameType.STREAM_ABORT, text("the source failed")), control(FrameType.END));
        frame("valid-conversation-in-one-read", new FrameFuzzInput.Builder().data(conversation));
        frame("valid-conversation-byte-by-byte", new FrameFuzzInput.Builder().chunk(1, 0, false).data(conversation));
        frame("valid-conversation-in-7-byte-slices-of-roomy-buffers",
                new FrameFuzzInput.Builder().slices().chunk(7, 3, true).data(conversation));

        int chunk = FrameType.MAX_STREAM_CHUNK;
        // A whole STREAM_DATA frame in decrypted records of about a quarter each: kept as slices.
        frame("valid-stream-data-as-slices", new FrameFuzzInput.Builder().chunk(5, 0, false)
                .fill(chunk / 4, 0x40, false).fill(chunk / 4, 0x50, false).fill(chunk / 4, 0x60, false)
                .fill(chunk / 4 - 1, 0x70, false).chunk(1, 0, false)
                .data(concat(header(FrameType.STREAM_DATA, chunk), new byte[1], control(FrameType.END))));
        // Pieces of 1,000 bytes in buffers eight times their size: copied.
        frame("valid-stream-data-in-small-pieces-copied", new FrameFuzzInput.Builder().chunk(5, 0, false)
                .fill(1000, 0x70, false).fill(1000, 0x80, false).chunk(1000, 3, false)
                .data(concat(header(FrameType.STREAM_DATA, 3000), new byte[1000], control(FrameType.END))));
        // Fourteen pieces that would each be kept as slices: copied after MAX_SLICES.
        FrameFuzzInput.Builder many = new FrameFuzzInput.Builder().chunk(5, 0, false);
        for (int i = 0; i < 12; i++) {
            many.fill(chunk / 16, 0x90, false);
        }
        frame("valid-stream-data-in-more-pieces-than-max-slices", many.fill(chunk / 4 - 1, 0x90, false).chunk(1, 0, false)
                .data(concat(header(FrameType.STREAM_DATA, chunk), new byte[1], control(FrameType.END))));

        // A request of three 64 KiB chunks and 8 bytes: its buffer grows twice, taking 64 KiB and 64 KiB + 8 from the budget.
        int large = 3 * chunk + 8;
        byte[] largeRequest = concat(header(FrameType.REQUEST, large), new byte[8], control(FrameType.NEXT));
        frame("valid-large-request-unbounded-budget", large(new FrameFuzzInput.Builder(), false).data(largeRequest));
        frame("valid-large-request-within-the-budget", large(new FrameFuzzInput.Builder().budget(3, 1, false), false)
                .data(largeRequest));
        frame("valid-large-request-waits-until-others-give-back",
                large(new FrameFuzzInput.Builder().budget(3, 3, true), true).data(largeRequest));
        frame("edge-large-request-over-the-budget-others-hold",
                large(new FrameFuzzInput.Builder().budget(1, 1, false), true).data(largeRequest));
        frame("edge-large-request-over-the-whole-budget-waits-then-fails",
                large(new FrameFuzzInput.Builder().budget(1, 0, true), true).data(largeRequest));
        // The peer's bytes end where the request's first buffer is full: the reader asks the budget (and is refused),
        // the decoder never does and reports the frame cut short.
        frame("edge-request-ends-where-its-buffer-is-full", new FrameFuzzInput.Builder().budget(1, 1, false)
                .chunk(5, 0, false).fill(chunk - 1, 0xA0, false).chunk(1, 0, false)
                .data(concat(header(FrameType.REQUEST, 2 * chunk + 1), new byte[1])));
        frame("edge-message-at-the-limit-cut-short", new FrameFuzzInput.Builder().chunk(5, 0, false)
                .fill(chunk, 0xB0, false).fill(chunk, 0xC0, true).fill(chunk, 0xD0, false).chunk(chunk, 0, false)
                .data(concat(header(FrameType.REQUEST, FrameDecoderFuzzTest.MAX_MESSAGE_SIZE), new byte[10])));
        frame("edge-message-one-past-the-limit", new FrameFuzzInput.Builder()
                .data(header(FrameType.REQUEST, FrameDecoderFuzzTest.MAX_MESSAGE_SIZE + 1)));
        frame("edge-length-4-gib", new FrameFuzzInput.Builder().data(new byte[] {0x02, -1, -1, -1, -1}));
        frame("edge-unknown-type", new FrameFuzzInput.Builder().data(concat(control(FrameType.NEXT),
                new byte[] {0x03, 0, 0, 0, 0})));
        frame("edge-control-frame-with-payload", new FrameFuzzInput.Builder().data(header(FrameType.PROCEED, 1)));
        frame("edge-stream-data-empty", new FrameFuzzInput.Builder().data(header(FrameType.STREAM_DATA, 0)));
        frame("edge-stream-data-one-too-long", new FrameFuzzInput.Builder().data(header(FrameType.STREAM_DATA,
                chunk + 1)));
        frame("edge-stream-end-23-bytes", new FrameFuzzInput.Builder().data(frame(FrameType.STREAM_END, new byte[23])));
        frame("edge-stream-abort-one-too-long", new FrameFuzzInput.Builder().data(header(FrameType.STREAM_ABORT,
                FrameType.MAX_REASON + 1)));
        frame("edge-header-cut-short", new FrameFuzzInput.Builder().chunk(2, 0, false)
                .data(Arrays.copyOf(frame(FrameType.RESPONSE, text("cut")), 3)));
        frame("edge-stream-data-cut-short-in-slices", new FrameFuzzInput.Builder().chunk(5, 0, false)
                .fill(20_000, 0xE0, false).fill(19_999, 0xE0, false).chunk(1, 0, false)
                .data(concat(header(FrameType.STREAM_DATA, chunk), new byte[1])));
    }

    /** The large request's payload in fill chunks, with the budget's retry run after each (or only at the end). */
    private static FrameFuzzInput.Builder large(FrameFuzzInput.Builder b, boolean lookAgainEachTime) {
        int chunk = FrameType.MAX_STREAM_CHUNK;
        return b.chunk(5, 0, false).fill(chunk, 0x10, lookAgainEachTime).fill(chunk, 0x20, lookAgainEachTime)
                .fill(chunk, 0x30, lookAgainEachTime).chunk(13, 0, lookAgainEachTime);
    }

    private void identification() throws IOException {
        byte[] client = block(Identification.client());
        byte[] subscriber = block(Identification.subscriber(URI.create("poll://tentacle-7/"))
                .withHeader("X-Halibut-Keep-Alive", "30").withHeader("X-Other", "value"));
        byte[] server = block(Identification.server().withHeader("X-Halibut-Heartbeat-Timeout", "60"));
        identification("valid-client-in-one-read", 127, concat(client, control(FrameType.END)));
        identification("valid-client-byte-by-byte", 0, client);
        identification("valid-subscriber-in-5-byte-reads", 4, concat(subscriber, frame(FrameType.RESPONSE, text("r"))));
        identification("valid-server-with-a-header", 16, server);
        identification("valid-error-block", 31, ascii("HALIBUT-ERROR untrusted-certificate not trusted\r\n\r\n"));
        identification("edge-unsupported-version", 127, ascii("HALIBUT-CLIENT 2\r\n\r\n"));
        identification("edge-unknown-role", 127, ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        identification("edge-bare-line-feed", 127, ascii("HALIBUT-CLIENT 1\n\r\n"));
        identification("edge-cut-short", 3, ascii("HALIBUT-CLIENT 1\r\nX-Header: va"));
        identification("edge-line-one-past-64-bytes", 0x80 | 127, ascii("HALIBUT-CLIENT 1\r\nX: " + "v".repeat(60)
                + "\r\n\r\n"));
        identification("edge-line-of-64-bytes", 0x80 | 127, ascii("HALIBUT-CLIENT 1\r\nX: " + "v".repeat(59)
                + "\r\n\r\n"));
        StringBuilder sixteen = new StringBuilder("HALIBUT-CLIENT 1\r\n");
        for (int i = 0; i < 14; i++) {
            sixteen.append("H").append(i).append(": v\r\n");
        }
        identification("edge-16-lines", 9, ascii(sixteen + "\r\n"));
        identification("edge-17-lines", 9, ascii(sixteen + "H14: v\r\n\r\n"));
        identification("edge-block-of-16-lines-of-64-bytes", 0x80 | 100,
                ascii(("L: " + "v".repeat(59) + "\r\n").repeat(Identification.MAX_LINES)));
    }

    /** An upgrade request as {@code WebSocketClientUpgrade} sends it (RFC 6455's example key). */
    static final String UPGRADE = "GET /halibut HTTP/1.1\r\nHost: localhost:10943\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: halibut.v1\r\n\r\n";
    private static final int BINARY = 0x2;
    private static final int TEXT = 0x1;
    private static final int CONTINUATION = 0x0;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;

    private void webSocket() throws IOException {
        byte[] hello = concat(ascii("HALIBUT-CLIENT 1\r\n\r\n"), control(FrameType.END));
        byte[] upgrade = ascii(UPGRADE);
        byte[] conversation = concat(upgrade, wsFrame(false, BINARY, true, Arrays.copyOf(hello, 10)),
                wsFrame(true, CONTINUATION, true, Arrays.copyOfRange(hello, 10, hello.length)),
                wsFrame(true, PING, true, ascii("ping")), wsFrame(true, BINARY, true, control(FrameType.NEXT)),
                wsFrame(true, CLOSE, true, new byte[] {0x03, (byte) 0xE8}));
        // A client waits for the upgrade's answer before it sends frames (bit 7: the request head in reads of its own).
        webSocket("valid-upgrade-then-halibut-in-frames", 0x80 | 127, conversation);
        webSocket("edge-frames-right-behind-the-upgrade-request", 127, conversation);
        webSocket("valid-upgrade-then-halibut-byte-by-byte", 0, conversation);
        webSocket("valid-raw-halibut", 127, hello);
        webSocket("valid-raw-halibut-in-2-byte-reads", 1, hello);
        webSocket("edge-get-cut-short", 0, ascii("GE"));
        webSocket("edge-post-is-raw-halibut", 127, ascii("POST / HTTP/1.1\r\n\r\n"));
        webSocket("edge-health-check-without-upgrade", 127, ascii("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
        webSocket("edge-other-subprotocol", 127, ascii(UPGRADE.replace("halibut.v1", "chat")));
        webSocket("edge-no-key", 127, ascii(UPGRADE.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")));
        webSocket("edge-websocket-version-7", 127, ascii(UPGRADE.replace("Version: 13", "Version: 7")));
        webSocket("edge-request-line-too-long", 127, ascii("GET /" + "a".repeat(4200) + " HTTP/1.1\r\n\r\n"));
        webSocket("edge-headers-too-large", 127, ascii(UPGRADE.replace("\r\n\r\n", "\r\nX-Big: "
                + "b".repeat(8300) + "\r\n\r\n")));
        webSocket("edge-request-with-a-body", 127, ascii(UPGRADE.replace("\r\n\r\n", "\r\nContent-Length: 4\r\n\r\nbody")));
        webSocket("edge-text-frame", 127, concat(upgrade, wsFrame(true, TEXT, true, ascii("HALIBUT-CLIENT 1"))));
        webSocket("edge-unmasked-frame", 127, concat(upgrade, wsFrame(true, BINARY, false, hello)));
        webSocket("edge-reserved-opcode", 127, concat(upgrade, wsFrame(true, 0x3, true, hello)));
        webSocket("edge-fragmented-ping", 127, concat(upgrade, wsFrame(false, PING, true, ascii("p"))));
        webSocket("edge-continuation-without-start", 127, concat(upgrade, wsFrame(true, CONTINUATION, true, hello)));
        webSocket("edge-frame-one-past-64-kib", 127, concat(upgrade, new byte[] {(byte) 0x82, (byte) (0x80 | 127),
            0, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4}));
        webSocket("edge-frame-length-2-pow-63", 127, concat(upgrade, new byte[] {(byte) 0x82, (byte) (0x80 | 127),
            (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}));
    }

    /** A proxy's answers to CONNECT (byte 0: the read size, bits 0-6, plus 1; bit 7: the proxy has credentials). */
    private void proxyAnswers() throws IOException {
        proxyAnswer("valid-200-in-one-read", 127, ascii("HTTP/1.1 200 Connection established\r\n\r\n"));
        proxyAnswer("valid-200-with-headers-byte-by-byte", 0, ascii("HTTP/1.1 200 Connection established\r\n"
                + "Via: 1.1 squid\r\nProxy-Agent: test/1.0\r\n\r\n"));
        proxyAnswer("valid-200-without-reason-then-tls-bytes", 127, concat(ascii("HTTP/1.0 200\r\n\r\n"),
                new byte[] {0x16, 0x03, 0x03, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}));
        proxyAnswer("valid-204-split-in-header-lines-then-bytes-in-3-byte-reads", 2, ascii("HTTP/1.1 204 No Content\r"
                + "\nX-A: 1\r\nX-B: 2\r\n\r\nEARLY BYTES OF THE TUNNEL"));
        proxyAnswer("edge-407-with-basic-challenge", 127, ascii("HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n"));
        proxyAnswer("edge-407-with-credentials-in-7-byte-reads", 0x80 | 6, ascii("HTTP/1.1 407 Denied\r\n"
                + "proxy-authenticate: Negotiate\r\n\r\n"));
        proxyAnswer("edge-403-forbidden", 127, ascii("HTTP/1.1 403 Forbidden\r\n\r\n"));
        proxyAnswer("edge-503-with-body", 31, ascii("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n"
                + "Content-Length: 38\r\n\r\n<html><body>unavailable</body></html>\n"));
        proxyAnswer("edge-http-2-status-line", 127, ascii("HTTP/2 200 OK\r\n\r\n"));
        proxyAnswer("edge-tls-server-hello", 127, concat(new byte[] {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0, 0, 0},
                ascii("\r\n\r\n")));
        proxyAnswer("edge-bare-line-feeds", 127, ascii("HTTP/1.1 200 OK\n\n"));
        proxyAnswer("edge-closed-inside-the-header", 9, ascii("HTTP/1.1 200 Connection established\r\nVia: x\r\n"));
        proxyAnswer("edge-header-one-past-the-bound", 127, ascii("HTTP/1.1 200 OK\r\nX: "
                + "a".repeat(HttpConnectHandler.MAX_RESPONSE_HEADER - 23) + "\r\n\r\n"));
        proxyAnswer("valid-header-at-the-bound", 127, ascii("HTTP/1.1 200 OK\r\nX: "
                + "a".repeat(HttpConnectHandler.MAX_RESPONSE_HEADER - 24) + "\r\n\r\nafter"));
    }

    /** A listener's answer to the upgrade as Halibut's listener sends it ({accept}: the value for the client's key). */
    static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
            + "Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: halibut.v1\r\n\r\n";

    /**
     * A listener's answers to the client's upgrade (byte 0: the read size, bits 0-6, plus 1; bit 7: the answer's head
     * in reads of its own); the listener's frames are not masked.
     */
    private void upgradeAnswers() throws IOException {
        byte[] server = concat(ascii("HALIBUT-SERVER 1\r\n\r\n"), control(FrameType.PROCEED));
        byte[] frames = concat(wsFrame(false, BINARY, false, Arrays.copyOf(server, 7)),
                wsFrame(true, CONTINUATION, false, Arrays.copyOfRange(server, 7, server.length)),
                wsFrame(true, PING, false, ascii("ping")), wsFrame(true, BINARY, false, control(FrameType.END)),
                wsFrame(true, CLOSE, false, new byte[] {0x03, (byte) 0xE8}));
        byte[] switching = ascii(SWITCHING);
        upgradeAnswer("valid-101-then-frames-in-reads-of-their-own", 0x80 | 127, concat(switching, frames));
        upgradeAnswer("valid-101-and-frames-in-one-read", 127, concat(switching, frames));
        upgradeAnswer("valid-101-and-frames-byte-by-byte", 0, concat(switching, frames));
        upgradeAnswer("valid-101-only", 127, switching);
        upgradeAnswer("edge-101-without-subprotocol", 127, ascii(SWITCHING.replace(
                "Sec-WebSocket-Protocol: halibut.v1\r\n", "")));
        upgradeAnswer("edge-101-other-subprotocol", 127, ascii(SWITCHING.replace("halibut.v1", "chat")));
        upgradeAnswer("edge-101-wrong-accept", 127, ascii(SWITCHING.replace("{accept}",
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")));
        upgradeAnswer("edge-101-without-upgrade-header", 127, ascii(SWITCHING.replace("Upgrade: websocket\r\n", "")));
        upgradeAnswer("edge-404-with-body", 15, ascii("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 10\r\n\r\nnot found\n"));
        upgradeAnswer("edge-200-until-the-close", 127, ascii("HTTP/1.0 200 OK\r\n\r\nsome page"));
        upgradeAnswer("edge-raw-halibut-listener", 127, server);
        upgradeAnswer("edge-head-too-large", 127, ascii(SWITCHING.replace("\r\n\r\n", "\r\nX-Big: "
                + "b".repeat(8300) + "\r\n\r\n")));
        upgradeAnswer("edge-status-line-too-long", 127, ascii("HTTP/1.1 101 " + "S".repeat(4200) + "\r\n\r\n"));
        upgradeAnswer("edge-101-then-text-frame", 127, concat(switching, wsFrame(true, TEXT, false, ascii("hello"))));
        upgradeAnswer("edge-101-then-masked-frame", 0x80 | 127, concat(switching, wsFrame(true, BINARY, true, server)));
        upgradeAnswer("edge-101-then-reserved-opcode", 127, concat(switching, wsFrame(true, 0x3, false, server)));
        upgradeAnswer("edge-101-then-frame-one-past-64-kib", 127, concat(switching, new byte[] {(byte) 0x82, 127,
            0, 0, 0, 0, 0, 1, 0, 1}));
        upgradeAnswer("edge-101-then-frame-cut-short", 5, concat(switching, Arrays.copyOf(frames, 12)));
    }

    /** One WebSocket frame; a client's frames are masked (with a fixed key, for a deterministic corpus). */
    static byte[] wsFrame(boolean fin, int opcode, boolean masked, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int mask = masked ? 0x80 : 0;
        if (payload.length < 126) {
            out.write(mask | payload.length);
        } else {
            out.write(mask | 126);
            out.write(payload.length >>> 8);
            out.write(payload.length);
        }
        byte[] key = {0x12, 0x34, 0x56, 0x78};
        if (masked) {
            out.writeBytes(key);
        }
        for (int i = 0; i < payload.length; i++) {
            out.write(masked ? payload[i] ^ key[i % 4] : payload[i]);
        }
        return out.toByteArray();
    }

    private void webSocket(String name, int options, byte[] peer) throws IOException {
        write("WebSocketListenerFuzzTestInputs/routeUpgradeAndFrames", name, concat(new byte[] {(byte) options}, peer));
    }

    private void proxyAnswer(String name, int options, byte[] answer) throws IOException {
        write("HttpConnectHandlerFuzzTestInputs/readProxyAnswer", name, concat(new byte[] {(byte) options}, answer));
    }

    private void upgradeAnswer(String name, int options, byte[] answer) throws IOException {
        write("WebSocketClientUpgradeFuzzTestInputs/answerUpgrade", name, concat(new byte[] {(byte) options}, answer));
    }

    private void frame(String name, FrameFuzzInput.Builder input) throws IOException {
        write("FrameDecoderFuzzTestInputs/decodeFrames", name, input.build());
    }

    private void identification(String name, int options, byte[] peer) throws IOException {
        write("IdentificationBlockFuzzTestInputs/feedBlock", name, concat(new byte[] {(byte) options}, peer));
    }

    private void write(String dir, String name, byte[] bytes) throws IOException {
        Path d = resources.resolve("dev/halibut/transport/internal").resolve(dir);
        Files.createDirectories(d);
        Files.write(d.resolve(name), bytes);
    }

    private static byte[] block(Identification id) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        id.writeTo(out);
        return out.toByteArray();
    }

    static byte[] header(FrameType type, long length) {
        return new byte[] {(byte) type.code(), (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
            (byte) length};
    }

    static byte[] frame(FrameType type, byte[] payload) {
        return concat(header(type, payload.length), payload);
    }

    private static byte[] control(FrameType type) {
        return header(type, 0);
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
