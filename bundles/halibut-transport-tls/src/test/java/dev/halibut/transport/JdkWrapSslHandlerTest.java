package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.transport.internal.TlsProvider;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The JDK engine's TLS handler ({@code TlsProvider.newHandler}, which encrypts application data itself after the
 * handshake): every write arrives whole and in order, whatever its size or form, also across the hand-over from
 * SslHandler's own queue (writes made before the handshake completed), and close_notify follows the data. Two
 * in-memory channels with real JDK engines, bytes shuttled between them by the test.
 */
class JdkWrapSslHandlerTest {

    private static final TlsListenerTest.TestCert SERVER = TestCerts.create("wrap-server");
    private static final TlsListenerTest.TestCert CLIENT = TestCerts.create("wrap-client");

    private final Received atServer = new Received();
    private EmbeddedChannel client;
    private EmbeddedChannel server;

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }

    @Test
    void theJdkEngineGetsTheOwnWrapAndOpenSslNettysHandler() {
        TlsContextFactory jdk = new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate(), "jdk");
        TlsContextFactory openSsl = new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate(), "openssl");
        client = new EmbeddedChannel();
        server = new EmbeddedChannel();

        SslHandler forJdk = TlsProvider.newHandler(jdk.serverContext(new ThumbprintTrust()).createSSLEngine());
        SslHandler forOpenSsl = TlsProvider.newHandler(openSsl.serverContext(new ThumbprintTrust()).createSSLEngine());

        assertThat(forJdk.getClass().getSimpleName()).isEqualTo("JdkWrapSslHandler");
        assertThat(forOpenSsl.getClass()).isEqualTo(SslHandler.class);
        io.netty.util.ReferenceCountUtil.release(forOpenSsl.engine());
    }

    @Test
    void writesOfEverySizeAndFormArriveWholeAndInOrder() {
        connect();
        handshake();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<ByteBuf> written = new ArrayList<>();
        List<ChannelFuture> writes = new ArrayList<>();
        for (int size : new int[] {0, 1, 100, 16_384, 16_385, 65_536, 200_000}) {
            ByteBuf buf = Unpooled.wrappedBuffer(bytes(size, expected));
            written.add(buf);
            writes.add(client.write(buf));
        }
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        composite.addComponent(true, Unpooled.wrappedBuffer(bytes(20_000, expected)));
        composite.addComponent(true, Unpooled.directBuffer(30_000).writeBytes(bytes(30_000, expected)));
        written.add(composite);
        writes.add(client.write(composite));
        client.flush();

        shuttle();

        assertThat(atServer.bytes.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(writes).allSatisfy(f -> assertThat(f.isSuccess()).isTrue());
        assertThat(written.stream().filter(b -> b != Unpooled.EMPTY_BUFFER)) // shared and never freed
                .hasSize(7).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void writesQueuedBeforeTheHandshakeStayAheadOfLaterOnes() {
        connect();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ChannelFuture early = client.write(Unpooled.wrappedBuffer(bytes(40_000, expected))); // not flushed: queued
        handshake();
        ChannelFuture during = client.writeAndFlush(Unpooled.wrappedBuffer(bytes(70_000, expected)));
        shuttle();
        ChannelFuture after = client.writeAndFlush(Unpooled.wrappedBuffer(bytes(70_000, expected)));
        shuttle();

        assertThat(atServer.bytes.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(List.of(early, during, after)).allSatisfy(f -> assertThat(f.isSuccess()).isTrue());
    }

    @Test
    void closeNotifyFollowsTheDataAndLaterWritesFail() {
        connect();
        handshake();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        client.writeAndFlush(Unpooled.wrappedBuffer(bytes(100_000, expected)));
        client.close();
        ByteBuf late = Unpooled.wrappedBuffer(new byte[10]);
        ChannelFuture lateWrite = client.writeAndFlush(late);
        shuttle();

        assertThat(atServer.bytes.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(atServer.closeNotify).isNotNull();
        assertThat(atServer.closeNotify.isSuccess()).isTrue();
        assertThat(lateWrite.isSuccess()).isFalse();
        assertThat(late.refCnt()).isZero();
    }

    private void connect() {
        TlsContextFactory serverTls = new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate(), "jdk");
        TlsContextFactory clientTls = new TlsContextFactory(CLIENT.certificate(), CLIENT.keys().getPrivate(), "jdk");
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(clientTls.thumbprint());
        SSLEngine s = serverTls.serverContext(trust).createSSLEngine();
        TlsContextFactory.configure(s, true);
        SSLEngine c = clientTls.clientContext(serverTls.thumbprint()).createSSLEngine("localhost", 10943);
        TlsContextFactory.configure(c, false);
        server = new EmbeddedChannel(TlsProvider.newHandler(s), atServer);
        client = new EmbeddedChannel(TlsProvider.newHandler(c), new Received());
    }

    private void handshake() {
        shuttle();
        assertThat(client.pipeline().get(SslHandler.class).handshakeFuture().isSuccess()).isTrue();
        assertThat(server.pipeline().get(SslHandler.class).handshakeFuture().isSuccess()).isTrue();
    }

    /** Moves bytes between the two channels until neither has anything more to send (bounded). */
    private void shuttle() {
        for (int round = 0; round < 10_000; round++) {
            boolean moved = move(client, server) | move(server, client);
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("the two TLS ends kept exchanging bytes");
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (ByteBuf b = from.readOutbound(); b != null; b = from.readOutbound()) {
            moved = true;
            if (to.isActive()) {
                to.writeInbound(b);
            } else {
                b.release();
            }
        }
        return moved;
    }

    private static byte[] bytes(int size, ByteArrayOutputStream expected) {
        byte[] b = new byte[size];
        new SplittableRandom(size).nextBytes(b);
        expected.writeBytes(b);
        return b;
    }

    /** The decrypted bytes and the close_notify event that reach the end of a pipeline. */
    private static final class Received extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SslCloseCompletionEvent closeNotify;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                byte[] a = new byte[b.readableBytes()];
                b.readBytes(a);
                bytes.writeBytes(a);
            } finally {
                b.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslCloseCompletionEvent e) {
                closeNotify = e;
            }
        }
    }
}
