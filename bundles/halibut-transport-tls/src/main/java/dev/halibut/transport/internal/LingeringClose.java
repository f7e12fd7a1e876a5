package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closes a refused connection (failed handshake, refused identification) without a TCP reset. The client's last
 * flight may still be unread, and closing with unread data makes the kernel send RST, which can overtake our TLS
 * alert or identification error: the client would see "connection reset" instead of "certificate rejected". So,
 * once {@link #linger()} was asked for, a close half-closes (FIN after what was written), then discards what
 * still arrives, for at most {@link #LINGER_MILLIS} and {@link #MAX_DRAINED} bytes, and closes when the peer
 * closes or either bound is reached. Sits first in the pipeline, next to the socket. No thread waits.
 */
public final class LingeringClose extends ChannelDuplexHandler {

    static final long LINGER_MILLIS = 1000;
    static final int MAX_DRAINED = 64 * 1024;

    private boolean linger;
    private boolean draining;
    private int drained;

    /** Makes the next close of this channel a lingering one. Event loop only. */
    public void linger() {
        linger = true;
    }

    /** Makes the next close immediate again (the peer's address is throttled: no work for it). */
    public void noLinger() {
        linger = false;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!linger || draining || !(ctx.channel() instanceof SocketChannel ch) || !ch.isActive()) {
            ctx.close(promise);
            return;
        }
        draining = true;
        ctx.flush();
        ch.shutdownOutput().addListener(f -> {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        });
        // The peer's FIN closes the channel at once (no half-closure); this is the bound if it never sends one.
        ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!draining) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof ByteBuf b) {
            drained += b.readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (drained >= MAX_DRAINED) {
            ctx.close();
        }
    }
}
