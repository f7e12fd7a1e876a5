package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The listener's side of the WebSocket upgrade (RFC 6455, version 13), on any path: answers a valid upgrade request
 * that asks for the {@link WebSocketRoute#SUBPROTOCOL} with {@code 101 Switching Protocols} and leaves the pipeline
 * to the WebSocket frame codecs; answers anything else with an HTTP error and closes. Only one request is read
 * (bounded by the codec and aggregator in front of it), within the upgrade timeout.
 */
public final class WebSocketServerUpgrade extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** Told how an upgrade request ended when it did not become a WebSocket. */
    public interface Refusals {
        /**
         * The connection is closed after an HTTP answer.
         *
         * @param reason  what was wrong, for the log
         * @param failure whether it counts as a failed handshake of its address: a well-formed GET that is simply
         *                not an upgrade (a load balancer's health check) does not
         */
        void refused(String reason, boolean failure);
    }

    private final Refusals refusals;
    private final long timeoutMillis;
    private ScheduledFuture<?> timeout;
    private boolean answered;

    WebSocketServerUpgrade(Refusals refusals, long timeoutMillis) {
        this.refusals = refusals;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            if (!answered) {
                answered = true;
                refusals.refused("no WebSocket upgrade request within " + timeoutMillis + " ms", true);
                ctx.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timeout.cancel(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (answered) {
            return;
        }
        answered = true;
        if (!req.decoderResult().isSuccess()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + req.decoderResult().cause(), true);
            return;
        }
        if (!HttpMethod.GET.equals(req.method())) {
            refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, req.method() + " instead of a WebSocket upgrade (GET)", true);
            return;
        }
        if (!req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            refuse(ctx, HttpResponseStatus.UPGRADE_REQUIRED, "GET " + abbreviate(req.uri())
                    + " without a WebSocket upgrade; this is a Halibut listener: poll it over wss:// (WebSocket,"
                    + " subprotocol " + WebSocketRoute.SUBPROTOCOL + ")", false);
            return;
        }
        String protocols = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "");
        if (Arrays.stream(protocols.split(",")).map(String::trim).noneMatch(WebSocketRoute.SUBPROTOCOL::equals)) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "the WebSocket upgrade asks for subprotocol '"
                    + abbreviate(protocols) + "', not " + WebSocketRoute.SUBPROTOCOL, true);
            return;
        }
        String host = req.headers().get(HttpHeaderNames.HOST, "localhost");
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("wss://" + host + req.uri(),
                WebSocketRoute.SUBPROTOCOL, false, WebSocketRoute.MAX_FRAME_PAYLOAD).newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
                    .addListener(ChannelFutureListener.CLOSE);
            refusals.refused("unsupported WebSocket version "
                    + abbreviate(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "(none)")), true);
            return;
        }
        try {
            handshaker.handshake(ctx.channel(), req).addListener(f -> {
                if (!f.isSuccess()) {
                    refusals.refused("the WebSocket upgrade response could not be sent: " + f.cause(), true);
                    ctx.close();
                }
            });
        } catch (RuntimeException e) { // a request the handshaker finds invalid (no key, ...)
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "invalid WebSocket upgrade request: " + e.getMessage(), true);
            return;
        }
        ctx.pipeline().remove(this); // from now on: WebSocket frames, carrying the identification and Halibut frames
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String reason, boolean failure) {
        answerAndClose(ctx, status, reason);
        refusals.refused(reason, failure);
    }

    private static void answerAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String reason) {
        ByteBuf body = Unpooled.copiedBuffer(status + ": " + reason + "\n", StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Aggregates the one request the upgrade reads, and refuses one over its bound through {@link Refusals} like any
     * other request that is not an upgrade: Netty's own answer (413) would close an HTTP/1.0 connection without the
     * listener knowing why, and keep an HTTP/1.1 one open for a next request that is never read.
     */
    static final class RequestAggregator extends HttpObjectAggregator {
        private final WebSocketServerUpgrade upgrade;

        /** @param upgrade the handler behind this one, which answers the one request (and only one) */
        RequestAggregator(WebSocketServerUpgrade upgrade) {
            super(WebSocketRoute.MAX_UPGRADE_HEADERS);
            this.upgrade = upgrade;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            if (upgrade.answered) {
                return; // already refused (its upgrade timed out, say) and closing: answered once, refused once
            }
            upgrade.answered = true;
            upgrade.refuse(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "an HTTP request with a body of more than "
                    + WebSocketRoute.MAX_UPGRADE_HEADERS + " bytes instead of a WebSocket upgrade", true);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...";
    }
}
