package dev.halibut.transport.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The connecting side of the WebSocket upgrade of a {@code wss://} endpoint, started once TLS is up and the
 * listener's certificate checked: sends {@code GET path} with {@code Upgrade: websocket} and
 * {@code Sec-WebSocket-Protocol: halibut.v1}, reads the (bounded) answer, and on {@code 101} with that subprotocol
 * leaves the pipeline to the WebSocket frame codecs and {@link WebSocketByteStream}, then fires {@link #UPGRADED}.
 * Any other answer fails the connection attempt with an {@link IOException} that says what the server answered.
 */
public final class WebSocketClientUpgrade extends SimpleChannelInboundHandler<FullHttpResponse> {

    /** The user event fired once the upgrade succeeded: the Halibut identification may be sent now. */
    public static final Object UPGRADED = new Object() {
        @Override
        public String toString() {
            return "WebSocket upgraded";
        }
    };

    private final URI endpoint;
    private final WebSocketClientHandshaker handshaker;

    private WebSocketClientUpgrade(URI endpoint) {
        this.endpoint = endpoint;
        URI target = URI.create("wss://" + endpoint.getHost() + ":" + endpoint.getPort() + WebSocketRoute.path(endpoint));
        this.handshaker = WebSocketClientHandshakerFactory.newHandshaker(target, WebSocketVersion.V13,
                WebSocketRoute.SUBPROTOCOL, false, EmptyHttpHeaders.INSTANCE, WebSocketRoute.MAX_FRAME_PAYLOAD,
                true, false);
    }

    /**
     * Puts the HTTP codec, this upgrade and the byte-stream adapter in front of {@code before} and sends the upgrade
     * request. Event loop only.
     */
    public static void start(ChannelHandlerContext before, URI endpoint) {
        ChannelPipeline p = before.pipeline();
        WebSocketClientUpgrade upgrade = new WebSocketClientUpgrade(endpoint);
        p.addBefore(before.name(), "ws-http", new HttpClientCodec(WebSocketRoute.MAX_UPGRADE_LINE,
                        WebSocketRoute.MAX_UPGRADE_HEADERS, WebSocketRoute.MAX_UPGRADE_HEADERS))
                .addBefore(before.name(), "ws-aggregate", new HttpObjectAggregator(WebSocketRoute.MAX_UPGRADE_HEADERS))
                .addBefore(before.name(), "ws-upgrade", upgrade)
                .addBefore(before.name(), "ws-bytes", new WebSocketByteStream());
        upgrade.handshaker.handshake(before.channel()).addListener(f -> {
            if (!f.isSuccess()) {
                before.fireExceptionCaught(new IOException("Sending the WebSocket upgrade request to " + endpoint
                        + " failed: " + f.cause(), f.cause()));
            }
        });
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) throws IOException {
        if (res.decoderResult().isFailure()) {
            throw new IOException("The answer to the WebSocket upgrade at " + endpoint + " is not an HTTP response ("
                    + res.decoderResult().cause() + "). Check that the host and port reach a Halibut listener that"
                    + " serves WebSockets, or a load balancer that passes them", res.decoderResult().cause());
        }
        if (!HttpResponseStatus.SWITCHING_PROTOCOLS.equals(res.status())) {
            String body = res.content().toString(StandardCharsets.UTF_8).trim();
            throw new IOException("The WebSocket upgrade at " + endpoint + " was answered " + res.status()
                    + (body.isEmpty() ? "" : " (" + abbreviate(body) + ")") + " instead of 101 Switching Protocols."
                    + " Check that the host, port and path reach a Halibut listener (directly or through a load"
                    + " balancer that passes WebSockets)");
        }
        try {
            handshaker.finishHandshake(ctx.channel(), res);
        } catch (WebSocketHandshakeException e) {
            throw new IOException("The WebSocket upgrade at " + endpoint + " failed: " + e.getMessage(), e);
        }
        ctx.pipeline().remove(this);
        ctx.fireUserEventTriggered(UPGRADED);
    }

    private static String abbreviate(String s) {
        String line = s.replaceAll("[\\r\\n]+", " ");
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }
}
