package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;
import java.io.IOException;

/**
 * Carries the Halibut byte stream (identification blocks and frames) in binary WebSocket frames, so that nothing
 * above it changes: inbound, the content of binary (and continuation) frames goes on as plain bytes, in order;
 * outbound, the bytes written become binary frames of at most {@link WebSocketRoute#MAX_FRAME_PAYLOAD} bytes. The
 * frame boundaries mean nothing: a Halibut frame may span WebSocket frames and one WebSocket frame may hold several.
 *
 * <p>Pings are answered with pongs and pongs are dropped (the Halibut keep-alive, not the WebSocket's, proves the
 * peer is there). A close frame is answered with a close frame and the connection closed: the reader above sees the
 * end of the stream as EOF. A text frame is a protocol error: the peer is not speaking Halibut. So is anything that did
 * not come through the WebSocket decoder: data a client sent before the upgrade's answer.
 */
public final class WebSocketByteStream extends ChannelDuplexHandler {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            // Not through the WebSocket decoder: on the listener, bytes a client sent right behind its upgrade request,
            // before the answer (RFC 6455, section 4.1: it must wait), which the HTTP codec hands on as the upgrade
            // removes it. Passed on, they would reach the identification unframed and unmasked.
            String what = msg instanceof ByteBuf b ? b.readableBytes() + " bytes" : msg.getClass().getSimpleName();
            ReferenceCountUtil.release(msg);
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR,
                    "data before the WebSocket upgrade completed")).addListener(ChannelFutureListener.CLOSE);
            ctx.fireExceptionCaught(new IOException("The peer sent " + what + " outside WebSocket frames, right behind"
                    + " its upgrade request: a WebSocket client waits for the upgrade's answer before it sends (RFC 6455,"
                    + " section 4.1)"));
            return;
        }
        if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
            ctx.fireChannelRead(frame.content()); // ownership of the content passes on
        } else if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content()));
        } else if (frame instanceof CloseWebSocketFrame) {
            frame.release();
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                    .addListener(ChannelFutureListener.CLOSE);
        } else if (frame instanceof PongWebSocketFrame) {
            frame.release();
        } else {
            frame.release();
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE,
                    "Halibut is carried in binary frames only")).addListener(ChannelFutureListener.CLOSE);
            ctx.fireExceptionCaught(new IOException("The peer sent a " + frame.getClass().getSimpleName()
                    + "; Halibut over WebSockets is carried in binary frames only"));
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.write(msg, promise);
            return;
        }
        if (bytes.readableBytes() <= WebSocketRoute.MAX_FRAME_PAYLOAD) {
            ctx.write(new BinaryWebSocketFrame(bytes), promise);
            return;
        }
        try {
            PromiseCombiner all = new PromiseCombiner(ctx.executor());
            while (bytes.isReadable()) {
                int n = Math.min(bytes.readableBytes(), WebSocketRoute.MAX_FRAME_PAYLOAD);
                all.add(ctx.write(new BinaryWebSocketFrame(bytes.readRetainedSlice(n))));
            }
            all.finish(promise);
        } finally {
            ReferenceCountUtil.release(bytes);
        }
    }
}
