package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslClosedEngineException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * {@link SslHandler} for the JDK's engine that encrypts application data itself once the handshake is done: each
 * written buffer is wrapped at once, record after record, into one array the event loop keeps, and sent as one
 * direct buffer. Netty's own wrap for the JDK engine encrypts into pooled heap buffers sized for at most three of the
 * four records of a stream frame, so a frame costs two heap buffers, two copies into new direct buffers for the socket
 * and a re-queue of its last record; on a quiet machine this handler moves a GiB with about 11% less CPU and 17% less
 * time (docs/benchmarks.md, "Streams against the raw TLS copy, round 3").
 *
 * <p>Everything else stays {@code SslHandler}'s: the handshake, anything written before it completed (until all of
 * that has reached the socket, later writes take the same path, so the order on the wire holds), post-handshake
 * messages the engine asks to send (the engine then is not {@code NOT_HANDSHAKING}), alerts, close_notify and closing,
 * and everything after {@link #close} or {@link #closeOutbound}. All of it runs on the channel's event loop, as the
 * engine needs.
 */
final class JdkWrapSslHandler extends SslHandler {

    /** Records wrapped into the array before it is sent: a stream frame is four (64 KiB, {@code StreamSender}). */
    private static final int RECORDS_PER_WRITE = 4;

    /**
     * The event loop's array the engine encrypts into: the engine works on arrays (its AES-GCM on direct memory costs
     * about twice as much), and the array never leaves the loop (its bytes are copied into the buffer that is sent),
     * so one per loop thread serves all of its connections. Freed with the thread.
     */
    private static final FastThreadLocal<ByteBuffer> RECORDS = new FastThreadLocal<>();

    private final SSLEngine engine;
    /** Writes handed to SslHandler's own queue whose promise has not completed; while any, all writes go there. */
    private int queuedInSslHandler;
    /** close() or closeOutbound() was called: close_notify and what follows are SslHandler's. */
    private boolean closing;

    JdkWrapSslHandler(SSLEngine engine) {
        super(engine);
        this.engine = engine;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof ByteBuf buf && wrapsHere()) {
            wrapNow(ctx, buf, promise);
            return;
        }
        ChannelPromise counted = promise.unvoid();
        queuedInSslHandler++;
        counted.addListener(f -> queuedInSslHandler--);
        super.write(ctx, msg, counted);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) throws Exception {
        if (wrapsHere()) {
            ctx.flush(); // everything written so far is encrypted and queued already
        } else {
            super.flush(ctx);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        closing = true;
        super.close(ctx, promise);
    }

    @Override
    public ChannelFuture closeOutbound(ChannelPromise promise) {
        closing = true;
        return super.closeOutbound(promise);
    }

    /**
     * Whether application data is encrypted here now: after the handshake, with nothing queued in SslHandler and
     * nothing else for the engine to send.
     */
    private boolean wrapsHere() {
        return queuedInSslHandler == 0 && !closing && handshakeFuture().isSuccess() && !engine.isOutboundDone()
                && engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
    }

    private void wrapNow(ChannelHandlerContext ctx, ByteBuf buf, ChannelPromise promise) {
        int packet = engine.getSession().getPacketBufferSize();
        ByteBuffer out = records(packet);
        try {
            ByteBuffer[] in = !(buf instanceof CompositeByteBuf) && buf.nioBufferCount() == 1
                    ? new ByteBuffer[] {buf.internalNioBuffer(buf.readerIndex(), buf.readableBytes())}
                    : buf.nioBuffers();
            long left = buf.readableBytes();
            while (left > 0) {
                if (out.remaining() < packet) {
                    send(ctx, out, null);
                }
                SSLEngineResult result = engine.wrap(in, out);
                left -= result.bytesConsumed();
                switch (result.getStatus()) {
                    case OK -> {
                    }
                    case BUFFER_OVERFLOW -> {
                        if (out.position() == 0) {
                            throw new SSLException("The TLS engine asks for more than " + out.capacity()
                                    + " bytes of room for one record");
                        }
                        send(ctx, out, null);
                    }
                    case CLOSED -> throw new SslClosedEngineException("SSLEngine closed already");
                    default -> throw new SSLException("Unexpected TLS engine result wrapping application data: "
                            + result);
                }
                if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                        task.run();
                    }
                }
                if (result.bytesConsumed() == 0 && result.bytesProduced() == 0
                        && result.getStatus() == SSLEngineResult.Status.OK) {
                    throw new SSLException("The TLS engine made no progress wrapping application data: " + result);
                }
            }
            send(ctx, out, promise);
        } catch (SSLException e) {
            out.clear();
            promise.tryFailure(e);
            // Records of this buffer may be out already: the peer cannot be given the rest, so the connection ends.
            ctx.channel().close();
        } finally {
            buf.release();
        }
    }

    /** Sends what {@code out} holds as one direct buffer (the socket's memory) and empties it. */
    private static void send(ChannelHandlerContext ctx, ByteBuffer out, ChannelPromise promise) {
        out.flip();
        ByteBuf net;
        if (out.hasRemaining()) {
            net = ctx.alloc().directBuffer(out.remaining());
            net.writeBytes(out);
        } else {
            net = Unpooled.EMPTY_BUFFER;
        }
        out.clear();
        if (promise == null) {
            ctx.write(net);
        } else {
            ctx.write(net, promise);
        }
    }

    private static ByteBuffer records(int packet) {
        ByteBuffer out = RECORDS.get();
        if (out == null || out.capacity() < RECORDS_PER_WRITE * packet) {
            out = ByteBuffer.allocate(RECORDS_PER_WRITE * packet);
            RECORDS.set(out);
        }
        out.clear();
        return out;
    }
}
