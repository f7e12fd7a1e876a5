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
 *   <li>nothing is passed on before it, and never more bytes than the listener sent after the answer's head;</li>
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
        int head = endOfHead(answer);
        int split = (input[0] & 0x80) != 0 ? head : 0;
        for (int at = 0; at < answer.length; ) {
            int end = Math.min(answer.length, at < split ? Math.min(split, at + chunk) : at + chunk);
            client.receive(Arrays.copyOfRange(answer, at, end));
            at = end;
        }
        client.end();

        assertThat(client.upgraded).as("upgrades").isLessThanOrEqualTo(1);
        if (client.upgraded == 1) {
            String answerHead = new String(answer, 0, head, StandardCharsets.ISO_8859_1);
            assertThat(answerHead).as("the head of an answer taken as the upgrade").contains(client.accept)
                    .containsIgnoringCase(WebSocketRoute.SUBPROTOCOL);
            assertThat(client.passedOn.size()).as("bytes passed on after the answer's head")
                    .isLessThanOrEqualTo(answer.length - head);
        } else {
            assertThat(client.passedOn.size()).as("bytes passed on without an upgrade").isZero();
        }
    }

    /** Where the answer's head ends (after its first empty line), or 0 if it does not. */
    static int endOfHead(byte[] answer) {
        int crlf = HttpConnectHandlerFuzzTest.indexOf(answer, new byte[] {'\r', '\n', '\r', '\n'});
        return crlf < 0 ? 0 : crlf + 4;
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
            ByteBuf in = alloc.heapBuffer(bytes.length).writeBytes(bytes);
            inputs.add(in);
            if (!channel.isOpen()) {
                in.release(); // a closed connection reads nothing more
                return;
            }
            try {
                channel.writeInbound(in);
            } catch (Exception e) {
                afterClose(e);
            }
            drainWritten(null);
        }

        /**
         * An error fired after the connection closed in the same read: EmbeddedChannel's close() takes the handlers
         * out of the pipeline at once (a real channel's only later, so there the handshake handler gets it), and
         * rethrows what reached the pipeline's end (as in WebSocketListenerFuzzTest).
         */
        private void afterClose(Exception e) {
            if (!channel.isOpen() && (e instanceof IOException || e instanceof CodecException)) {
                errors.add(e);
            } else {
                wrong.add(new AssertionError("Undocumented exception from the connector's pipeline: " + e, e));
            }
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
            if (!wrong.isEmpty()) {
                AssertionError e = new AssertionError("The connector's pipeline passed on what it must not: " + wrong);
                wrong.forEach(e::addSuppressed);
                throw e;
            }
            assertThat(inputs).as("input buffers released").allSatisfy(b -> assertThat(b.refCnt()).isZero());
            assertThat(alloc.metric().usedHeapMemory()).as("heap buffers not released").isZero();
            assertThat(alloc.metric().usedDirectMemory()).as("direct buffers not released").isZero();
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
