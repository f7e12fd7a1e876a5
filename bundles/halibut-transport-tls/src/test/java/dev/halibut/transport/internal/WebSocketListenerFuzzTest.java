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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes what a listener does with a connection's first bytes after TLS: {@link WebSocketUpgradeDetector} routes
 * them to raw Halibut or to an HTTP upgrade ({@link WebSocketServerUpgrade}, behind Netty's HTTP codec and
 * aggregator), after which {@link WebSocketByteStream} turns the peer's WebSocket frames (Netty's RFC 6455 decoder)
 * back into the Halibut byte stream. The pipeline is the listener's ({@code TlsListener.Handshake.start}) with the
 * handshake handler replaced by one that collects what arrives. Input: byte 0 sets the chunk size the bytes arrive
 * in (bits 0-6, plus 1) and whether the peer waits for the upgrade's answer (bit 7: the bytes up to the first empty
 * line, the HTTP request head, arrive in reads of their own, as from a client that sends nothing more until it has
 * the answer); the rest is what the peer sends. Contract:
 * <ul>
 *   <li>bytes that do not start with {@code GET } pass on unchanged, all of them;</li>
 *   <li>after {@code GET }, nothing passes on unless the listener answered {@code 101 Switching Protocols}, and
 *       never more bytes than the peer sent; a request that is not an upgrade is answered and refused (the
 *       refusal told to the listener), or refused when the upgrade times out;</li>
 *   <li>errors reaching the handshake handler are an {@link IOException} (a text frame, data before the upgrade's
 *       answer) or one of Netty's codec errors ({@link CodecException}: a corrupt or oversized frame, the connection
 *       closed in the middle of the request), nothing else; the listener closes the connection on either;</li>
 *   <li>every buffer is released once the connection is closed (all come from one counting allocator).</li>
 * </ul>
 */
class WebSocketListenerFuzzTest {

    private static final byte[] GET = "GET ".getBytes(StandardCharsets.US_ASCII);
    private static final long UPGRADE_TIMEOUT_MILLIS = 5_000;

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void routeUpgradeAndFrames(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int chunk = 1 + (input[0] & 0x7F);
        byte[] peer = Arrays.copyOfRange(input, 1, input.length);
        int head = (input[0] & 0x80) != 0 ? endOfHead(peer) : 0;
        Listener listener = new Listener();
        for (int at = 0; at < peer.length; ) {
            int end = Math.min(peer.length, at < head ? Math.min(head, at + chunk) : at + chunk);
            listener.receive(Arrays.copyOfRange(peer, at, end));
            at = end;
        }
        listener.end();

        boolean http = peer.length > 0 && startsLikeGet(peer);
        if (!http) {
            assertThat(listener.passedOn.toByteArray()).as("raw Halibut passes on unchanged").isEqualTo(peer);
            assertThat(listener.refusals).isEmpty();
        } else {
            String answered = listener.written.toString(StandardCharsets.ISO_8859_1);
            if (!answered.startsWith("HTTP/1.1 101 ")) {
                assertThat(listener.passedOn.size()).as("bytes passed on without an upgrade").isZero();
                if (peer.length >= GET.length) {
                    assertThat(listener.refusals).as("a GET that did not become a WebSocket is refused").isNotEmpty();
                }
            }
            assertThat(listener.passedOn.size()).isLessThanOrEqualTo(peer.length);
        }
        assertThat(listener.refusals).as("refusals told to the listener").hasSizeLessThanOrEqualTo(1);
    }

    /** Where the HTTP request head ends (after its first empty line), or 0 if it does not. */
    private static int endOfHead(byte[] peer) {
        for (int i = 3; i < peer.length; i++) {
            if (peer[i - 3] == '\r' && peer[i - 2] == '\n' && peer[i - 1] == '\r' && peer[i] == '\n') {
                return i + 1;
            }
        }
        return 0;
    }

    /** Whether the bytes start with (as much as there is of) {@code GET }: the detector's HTTP route. */
    private static boolean startsLikeGet(byte[] peer) {
        for (int i = 0; i < Math.min(peer.length, GET.length); i++) {
            if (peer[i] != GET[i]) {
                return false;
            }
        }
        return true;
    }

    /** The listener's pipeline after TLS, on an event loop the test drives, with a counting allocator. */
    static final class Listener extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream passedOn = new ByteArrayOutputStream();
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final List<String> refusals = new ArrayList<>();
        /** What the handshake handler got that it must not: Netty would only log an error thrown here. */
        final List<Throwable> wrong = new ArrayList<>();
        /** The documented errors that reached the handshake handler (which closes the connection on each). */
        final List<Throwable> errors = new ArrayList<>();
        final List<ByteBuf> inputs = new ArrayList<>();
        final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        final EmbeddedChannel channel = new EmbeddedChannel();

        Listener() {
            channel.config().setAllocator(alloc);
            channel.freezeTime();
            channel.pipeline().addLast("route", new WebSocketUpgradeDetector((reason, failure) -> refusals.add(reason),
                    UPGRADE_TIMEOUT_MILLIS));
            channel.pipeline().addLast("handshake", this);
        }

        void receive(byte[] bytes) {
            FuzzHarness.feed(channel, alloc, inputs, bytes, this::afterClose);
            drainWritten();
        }

        /** What the pipeline threw: see {@link FuzzHarness#thrownAfterClose}. */
        private void afterClose(Exception e) {
            FuzzHarness.thrownAfterClose(channel, e, errors, wrong, "listener's pipeline");
        }

        /** The peer sends nothing more: the upgrade's timeout passes, the connection closes; nothing is left. */
        void end() {
            channel.advanceTimeBy(2 * UPGRADE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
            channel.close();
            drainWritten();
            try {
                channel.checkException();
            } catch (Exception e) {
                afterClose(e);
            }
            channel.finishAndReleaseAll();
            FuzzHarness.assertNothingWrong("The listener's pipeline passed on what it must not:", wrong);
            FuzzHarness.assertAllReleased(inputs, alloc);
        }

        private void drainWritten() {
            Object out;
            while ((out = channel.readOutbound()) != null) {
                assertThat(out).as("written to the socket").isInstanceOf(ByteBuf.class);
                ByteBuf b = (ByteBuf) out;
                if (written.size() < 64 * 1024) {
                    written.writeBytes(ByteBufUtil.getBytes(b));
                }
                b.release();
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
                passedOn.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException || cause instanceof CodecException)) {
                wrong.add(new AssertionError("Undocumented exception from the listener's pipeline: " + cause, cause));
            } else {
                errors.add(cause);
            }
            ctx.close(); // as the listener's handshake handler does
        }
    }
}
