package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.HttpProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the connecting side's reading of an HTTP proxy's answer to {@code CONNECT} ({@link HttpConnectHandler}) in
 * an {@code EmbeddedChannel}, against a model of what the answer must lead to, written here from RFC 9110/9112 and
 * the handler's Javadoc (not from its code). Input: byte 0 sets the chunk size the proxy's bytes arrive in (bits
 * 0-6, plus 1) and whether the proxy has credentials (bit 7: they change only the advice of a 407); the rest is what
 * the proxy sends, after which it closes the connection. Contract:
 * <ul>
 *   <li>interim responses (1xx but 101: CONNECT asks for no upgrade) are skipped (RFC 9110, section 15.2);</li>
 *   <li>a status line {@code HTTP/1.x NNN} with a 2xx code, whose header ends (CRLF CRLF) within
 *       {@link HttpConnectHandler#MAX_RESPONSE_HEADER} bytes of the answer, opens the tunnel once; exactly the bytes after the
 *       header are passed on, unchanged and in order; the connect promise is not completed;</li>
 *   <li>anything else fails the connect promise once, with a {@link ProxyConnectException} naming the proxy and the
 *       target in printable characters, with advice, with the proxy's status (or 0 when it sent none), and closes the
 *       connection; nothing is passed on and the tunnel is not opened;</li>
 *   <li>the handler throws nothing and fires no exception down the pipeline;</li>
 *   <li>every buffer is released once the connection is closed (one counting allocator for the channel and the
 *       input).</li>
 * </ul>
 */
class HttpConnectHandlerFuzzTest {

    static final String TARGET = "service.example:8443";
    private static final byte[] END_OF_HEADER = {'\r', '\n', '\r', '\n'};
    /** The status line as the model reads it: HTTP/1.x, a space, three digits, then the end or a space. */
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[\\x00-\\xff] ([0-9]{3})(?: [\\x00-\\xff]*)?");

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readProxyAnswer(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int chunk = 1 + (input[0] & 0x7F);
        boolean credentials = (input[0] & 0x80) != 0;
        byte[] answer = Arrays.copyOfRange(input, 1, input.length);

        Tunnel tunnel = new Tunnel(credentials ? new HttpProxy("proxy", 3128).withCredentials("svc", "pw")
                : new HttpProxy("proxy", 3128));
        for (int at = 0; at < answer.length; at += chunk) {
            tunnel.receive(Arrays.copyOfRange(answer, at, Math.min(answer.length, at + chunk)));
        }
        tunnel.end();

        // The final response's header: behind any interim (1xx but 101) responses, all within the bound.
        int start = 0;
        int end;
        boolean complete;
        int status;
        while (true) {
            end = indexOf(answer, END_OF_HEADER, start);
            complete = end >= 0 && end + END_OF_HEADER.length <= HttpConnectHandler.MAX_RESPONSE_HEADER;
            status = complete ? status(new String(answer, start, end - start, StandardCharsets.ISO_8859_1)) : -1;
            if (!complete || status / 100 != 1 || status == 101) {
                break;
            }
            start = end + END_OF_HEADER.length;
        }
        if (complete && status / 100 == 2) {
            assertThat(tunnel.opened).as("tunnels opened for a %d", status).isEqualTo(1);
            assertThat(tunnel.failures).as("failures of the connect promise for a %d", status).isEmpty();
            assertThat(tunnel.passedOn.toByteArray()).as("bytes passed on after the header")
                    .isEqualTo(Arrays.copyOfRange(answer, end + END_OF_HEADER.length, answer.length));
            return;
        }
        assertThat(tunnel.opened).as("tunnels opened").isZero();
        assertThat(tunnel.passedOn.size()).as("bytes passed on without a tunnel").isZero();
        assertThat(tunnel.failures).as("failures of the connect promise").hasSize(1);
        Throwable failure = tunnel.failures.get(0);
        assertThat(failure).isExactlyInstanceOf(ProxyConnectException.class)
                .hasMessageStartingWith("The HTTP proxy proxy:3128 ").hasMessageEndingWith(" for " + TARGET)
                .hasNoCause();
        assertThat(failure.getMessage()).as("the message's characters").matches("[\\x20-\\x7e]+");
        ProxyConnectException refused = (ProxyConnectException) failure;
        assertThat(refused.advice()).as("the advice").isNotBlank();
        if (!complete && answer.length < HttpConnectHandler.MAX_RESPONSE_HEADER) {
            // The answer is cut short: the handler waits for more until the proxy closes the connection.
            assertThat(tunnel.failedBeforeTheEnd).as("failed before the proxy closed the connection").isFalse();
            assertThat(refused.status()).isZero();
            assertThat(refused.getMessage()).contains("closed the connection without answering the CONNECT request");
            return;
        }
        assertThat(tunnel.failedBeforeTheEnd).as("failed as soon as the answer was refused").isTrue();
        assertThat(tunnel.openAtTheEnd).as("the connection open after the failure").isFalse();
        if (!complete) {
            assertThat(refused.status()).isZero();
            assertThat(refused.getMessage()).contains("with more than " + HttpConnectHandler.MAX_RESPONSE_HEADER
                    + " bytes of status line and headers");
        } else if (status < 0) {
            assertThat(refused.status()).isZero();
            assertThat(refused.getMessage()).contains("with something that is not HTTP");
        } else {
            assertThat(refused.status()).isEqualTo(status);
            assertThat(refused.getMessage()).contains(status == 407 ? "asks for authentication" : "refused the tunnel");
        }
    }

    /** The status code of the header's first line (ended by CR or LF), or -1 when it is no HTTP/1.x status line. */
    static int status(String header) {
        Matcher m = STATUS_LINE.matcher(header.split("[\r\n]", 2)[0]);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    static int indexOf(byte[] bytes, byte[] part) {
        return indexOf(bytes, part, 0);
    }

    static int indexOf(byte[] bytes, byte[] part, int from) {
        outer:
        for (int i = from; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * The connecting side's pipeline while it asks the proxy for a tunnel, with a handler behind
     * {@link HttpConnectHandler} that records what is passed on (and whether the tunnel was open by then).
     */
    static final class Tunnel extends ChannelInboundHandlerAdapter {
        final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        final EmbeddedChannel channel = new EmbeddedChannel();
        final ByteArrayOutputStream passedOn = new ByteArrayOutputStream();
        final List<Throwable> failures = new ArrayList<>();
        final List<ByteBuf> inputs = new ArrayList<>();
        /** What must not happen; collected, as Netty would only log an error thrown in a handler. */
        final List<Throwable> wrong = new ArrayList<>();
        int opened;
        boolean openAtTheEnd;
        boolean failedBeforeTheEnd;

        Tunnel(HttpProxy proxy) {
            channel.config().setAllocator(alloc);
            // The connector's result promise: counts its completions (a DefaultPromise takes only the first).
            DefaultPromise<Object> result = new DefaultPromise<>(ImmediateEventExecutor.INSTANCE) {
                @Override
                public boolean tryFailure(Throwable cause) {
                    failures.add(cause);
                    return super.tryFailure(cause);
                }

                @Override
                public Promise<Object> setFailure(Throwable cause) {
                    failures.add(cause);
                    return super.setFailure(cause);
                }
            };
            channel.pipeline().addLast("proxy-connect", new HttpConnectHandler(proxy, TARGET, result, ctx -> opened++));
            channel.pipeline().addLast("tunnel", this);
            channel.pipeline().fireChannelActive();
            drainWritten();
        }

        void receive(byte[] bytes) {
            FuzzHarness.feed(channel, alloc, inputs, bytes, e -> wrong.add(new AssertionError("Thrown from the pipeline: " + e, e)));
            drainWritten();
        }

        /** The proxy closes the connection; nothing is left. */
        void end() {
            openAtTheEnd = channel.isOpen();
            failedBeforeTheEnd = !failures.isEmpty();
            channel.close();
            try {
                channel.checkException();
            } catch (Exception e) {
                wrong.add(new AssertionError("Thrown from the pipeline: " + e, e));
            }
            drainWritten();
            channel.finishAndReleaseAll();
            FuzzHarness.assertNothingWrong("The proxy handshake did what it must not:", wrong);
            FuzzHarness.assertAllReleased(inputs, alloc);
        }

        /** The CONNECT request (checked by HttpConnectHandlerTest), released. */
        private void drainWritten() {
            Object out;
            while ((out = channel.readOutbound()) != null) {
                ReferenceCountUtil.release(out);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf b)) {
                wrong.add(new AssertionError("Passed on through the tunnel: " + msg));
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                if (opened == 0) {
                    wrong.add(new AssertionError("Passed on before the tunnel was open: "
                            + ByteBufUtil.hexDump(b, b.readerIndex(), Math.min(64, b.readableBytes()))));
                }
                passedOn.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            wrong.add(new AssertionError("Fired down the pipeline: " + cause, cause));
        }
    }
}
