package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CodecException;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the connecting side of the WebSocket upgrade ({@link WebSocketClientUpgrade}: Netty's HTTP client codec,
 * aggregator and RFC 6455 client handshaker, then {@link WebSocketByteStream}) with what a listener answers. The
 * pipeline is the connector's after TLS ({@code TlsConnector}'s handshake handler replaced by one that collects what
 * arrives and, like it, closes the connection on an error). Input: byte 0 sets the chunk size the listener's bytes
 * arrive in (bits 0-6, plus 1) and whether the answer's head arrives in reads of its own (bit 7: the bytes up to the
 * first empty line, then the rest); the rest is what the listener sends, after which it closes the connection. The
 * key of the upgrade request is random, so every {@code {accept}} in the answer is replaced by the
 * {@code Sec-WebSocket-Accept} value that matches it. Contract:
 * <ul>
 *   <li>{@link WebSocketClientUpgrade#UPGRADED} is fired at most once, and only for an answer whose head holds the
 *       matching accept value and the {@code halibut.v1} subprotocol;</li>
 *   <li>nothing is passed on before it; after it, exactly what {@link ListenerFrames}, a model of RFC 6455 written
 *       here, takes from the listener's frames behind the answer's head (the payloads of binary frames and their
 *       continuations, up to a close, a text frame, a broken frame or the end), and an error when the model says the
 *       frames broke the protocol or were text;</li>
 *   <li>errors reaching the handshake handler are an {@link IOException} (an answer other than 101, a failed
 *       handshake, a text frame) or one of Netty's codec errors ({@link CodecException}: a corrupt or oversized
 *       answer or frame), nothing else;</li>
 *   <li>every buffer is released once the connection is closed (one counting allocator).</li>
 * </ul>
 */
class WebSocketClientUpgradeFuzzTest {

    static final URI ENDPOINT = URI.create("wss://localhost:10943/halibut");
    static final byte[] ACCEPT = "{accept}".getBytes(StandardCharsets.US_ASCII);
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final Pattern KEY = Pattern.compile("(?i)\r\nsec-websocket-key: *([A-Za-z0-9+/=]+)\r\n");

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void answerUpgrade(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int chunk = 1 + (input[0] & 0x7F);
        Client client = new Client();
        byte[] answer = replace(Arrays.copyOfRange(input, 1, input.length), ACCEPT, client.accept.getBytes(
                StandardCharsets.US_ASCII));
        int split = (input[0] & 0x80) != 0 ? endOfHttpHead(answer) : 0;
        for (int at = 0; at < answer.length; ) {
            int end = Math.min(answer.length, at < split ? Math.min(split, at + chunk) : at + chunk);
            client.receive(Arrays.copyOfRange(answer, at, end));
            at = end;
        }
        client.end();

        assertThat(client.upgraded).as("upgrades").isLessThanOrEqualTo(1);
        if (client.upgraded == 0) {
            assertThat(client.passedOn.size()).as("bytes passed on without an upgrade").isZero();
            return;
        }
        int httpHead = endOfHttpHead(answer);
        assertThat(httpHead).as("the end of the head of an answer taken as the upgrade").isPositive();
        assertThat(new String(answer, 0, httpHead, StandardCharsets.ISO_8859_1))
                .as("the head of an answer taken as the upgrade").contains(client.accept)
                .containsIgnoringCase(WebSocketRoute.SUBPROTOCOL);
        ListenerFrames frames = ListenerFrames.decode(answer, httpHead);
        assertThat(client.passedOn.toByteArray()).as("bytes passed on: the listener's binary frames' payloads")
                .isEqualTo(frames.payloads.toByteArray());
        if (frames.failed) {
            assertThat(client.errors).as("errors after the listener's frames failed").isNotEmpty();
        }
    }

    /**
     * Where the head of the answer ends as an HTTP/1.1 reader lenient in the ways RFC 9112 allows finds it (section 2.2:
     * control characters and white space before the status line skipped, a line may end in a bare LF): after the first empty line behind the
     * status line, or 0 if there is none.
     */
    static int endOfHttpHead(byte[] answer) {
        int start = 0;
        while (start < answer.length && (Character.isISOControl(answer[start] & 0xFF)
                || Character.isWhitespace(answer[start] & 0xFF))) {
            start++;
        }
        for (int i = start; i < answer.length; i++) {
            if (answer[i] != '\n') {
                continue;
            }
            if (i + 1 < answer.length && answer[i + 1] == '\n') {
                return i + 2;
            }
            if (i + 2 < answer.length && answer[i + 1] == '\r' && answer[i + 2] == '\n') {
                return i + 3;
            }
        }
        return 0;
    }

    /**
     * The model of what a client takes from a listener's WebSocket frames (RFC 6455, section 5, with the limits of
     * docs/protocol.md): the payloads of binary frames and their continuations, in order, up to the first frame that
     * ends the stream (close), is refused (a text frame: not Halibut) or breaks the protocol (reserved bits or
     * opcodes, a masked frame from the server, a fragmented or long control frame, a continuation outside a message
     * or a new message inside one, a length not minimally encoded or over {@link WebSocketRoute#MAX_FRAME_PAYLOAD}),
     * or to where the bytes end.
     */
    static final class ListenerFrames {
        final ByteArrayOutputStream payloads = new ByteArrayOutputStream();
        /** A frame was refused or broke the protocol: the connection fails. */
        boolean failed;

        static ListenerFrames decode(byte[] b, int at) {
            ListenerFrames f = new ListenerFrames();
            boolean inMessage = false;
            while (at + 2 <= b.length) {
                boolean fin = (b[at] & 0x80) != 0;
                int rsv = b[at] & 0x70;
                int opcode = b[at] & 0x0F;
                boolean masked = (b[at + 1] & 0x80) != 0;
                int len7 = b[at + 1] & 0x7F;
                boolean control = opcode >= 8;
                if (rsv != 0 || masked || (control && (!fin || len7 > 125 || opcode > 0xA))
                        || (!control && opcode > 2) || (opcode == 0 && !inMessage) || (opcode != 0 && !control && inMessage)) {
                    f.failed = true;
                    return f;
                }
                int header = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
                if (at + header > b.length) {
                    return f;
                }
                long length = len7;
                if (len7 == 126) {
                    length = ((b[at + 2] & 0xFFL) << 8) | (b[at + 3] & 0xFFL);
                } else if (len7 == 127) {
                    length = 0;
                    for (int i = 2; i < 10; i++) {
                        length = (length << 8) | (b[at + i] & 0xFFL);
                    }
                }
                if ((len7 == 126 && length < 126) || (len7 == 127 && (length < 65_536 || length < 0))
                        || length > WebSocketRoute.MAX_FRAME_PAYLOAD) {
                    f.failed = true;
                    return f;
                }
                if (at + header + length > b.length) {
                    return f; // cut short: the close ends it
                }
                int payload = at + header;
                at = payload + (int) length;
                if (opcode == 0x8) {
                    return f; // close: answered and closed, whatever its body
                }
                if (opcode == 0x1) {
                    f.failed = true; // text: not Halibut
                    return f;
                }
                if (opcode <= 0x2) {
                    f.payloads.write(b, payload, (int) length);
                    inMessage = !fin;
                }
            }
            return f;
        }
    }

    static byte[] replace(byte[] bytes, byte[] what, byte[] with) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int i = 0; i + what.length <= bytes.length; ) {
            if (Arrays.equals(bytes, i, i + what.length, what, 0, what.length)) {
                out.write(bytes, from, i - from);
                out.writeBytes(with);
                i += what.length;
                from = i;
            } else {
                i++;
            }
        }
        out.write(bytes, from, bytes.length - from);
        return out.toByteArray();
    }

    /** The connector's pipeline after TLS, upgrading to a WebSocket, with a counting allocator. */
    static final class Client extends ChannelInboundHandlerAdapter {
        final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        final EmbeddedChannel channel = new EmbeddedChannel();
        final ByteArrayOutputStream passedOn = new ByteArrayOutputStream();
        final List<ByteBuf> inputs = new ArrayList<>();
        /** The documented errors that reached the handshake handler (which closes the connection on each). */
        final List<Throwable> errors = new ArrayList<>();
        /** What the handshake handler got that it must not: Netty would only log an error thrown here. */
        final List<Throwable> wrong = new ArrayList<>();
        final String accept;
        int upgraded;

        Client() {
            channel.config().setAllocator(alloc);
            channel.pipeline().addLast("handshake", this);
            WebSocketClientUpgrade.start(channel.pipeline().context("handshake"), ENDPOINT);
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            drainWritten(request);
            Matcher key = KEY.matcher(request.toString(StandardCharsets.ISO_8859_1));
            assertThat(key.find()).as("a key in the upgrade request %s", request).isTrue();
            accept = accept(key.group(1));
        }

        /** RFC 6455, section 4.2.2: base64(SHA-1(key + GUID)). */
        private static String accept(String key) {
            try {
                return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError("SHA-1 is in every JDK", e);
            }
        }

        void receive(byte[] bytes) {
            FuzzHarness.feed(channel, alloc, inputs, bytes, this::afterClose);
            drainWritten(null);
        }

        /** What the pipeline threw: see {@link FuzzHarness#thrownAfterClose}. */
        private void afterClose(Exception e) {
            FuzzHarness.thrownAfterClose(channel, e, errors, wrong, "connector's pipeline");
        }

        /** The listener closes the connection; nothing is left. */
        void end() {
            channel.close();
            drainWritten(null);
            try {
                channel.checkException();
            } catch (Exception e) {
                afterClose(e);
            }
            channel.finishAndReleaseAll();
            FuzzHarness.assertNothingWrong("The connector's pipeline passed on what it must not:", wrong);
            FuzzHarness.assertAllReleased(inputs, alloc);
        }

        private void drainWritten(ByteArrayOutputStream into) {
            Object out;
            while ((out = channel.readOutbound()) != null) {
                if (into != null && out instanceof ByteBuf b) {
                    into.writeBytes(ByteBufUtil.getBytes(b));
                }
                ReferenceCountUtil.release(out);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf b)) {
                wrong.add(new AssertionError("Passed on to the identification: " + msg));
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                if (upgraded == 0) {
                    wrong.add(new AssertionError("Passed on before the upgrade: "
                            + ByteBufUtil.hexDump(b, b.readerIndex(), Math.min(64, b.readableBytes()))));
                }
                passedOn.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientUpgrade.UPGRADED) {
                upgraded++;
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException || cause instanceof CodecException)) {
                wrong.add(new AssertionError("Undocumented exception from the connector's pipeline: " + cause, cause));
            } else {
                errors.add(cause);
            }
            ctx.close(); // as the connector's handshake handler does
        }
    }
}
