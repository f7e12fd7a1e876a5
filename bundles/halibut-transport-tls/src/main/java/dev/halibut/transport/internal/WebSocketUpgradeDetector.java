package dev.halibut.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The listener's switch between its two routes on one port, right after TLS: a connection whose first bytes are
 * {@code GET } is an HTTP request, which gets the WebSocket upgrade ({@link WebSocketServerUpgrade}) and then carries
 * the Halibut byte stream in WebSocket frames ({@link WebSocketByteStream}); anything else is raw Halibut (its
 * identification block starts {@code HALIBUT-}) and passes on untouched. Reads at most four bytes before it
 * decides; it then leaves the pipeline, handing on what it read.
 */
public final class WebSocketUpgradeDetector extends ByteToMessageDecoder {

    private static final byte[] GET = "GET ".getBytes(StandardCharsets.US_ASCII);

    private final WebSocketServerUpgrade.Refusals refusals;
    private final long upgradeTimeoutMillis;

    /**
     * @param refusals             told about upgrade requests that are refused or answered without an upgrade
     * @param upgradeTimeoutMillis how long the upgrade may take; the listener's handshake deadline bounds it too
     */
    public WebSocketUpgradeDetector(WebSocketServerUpgrade.Refusals refusals, long upgradeTimeoutMillis) {
        this.refusals = refusals;
        this.upgradeTimeoutMillis = upgradeTimeoutMillis;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), GET.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != GET[i]) {
                ctx.pipeline().remove(this); // raw Halibut: the bytes read go on to the identification
                return;
            }
        }
        if (n < GET.length) {
            return; // not enough to decide yet
        }
        String self = ctx.name();
        WebSocketServerUpgrade upgrade = new WebSocketServerUpgrade(refusals, upgradeTimeoutMillis);
        ctx.pipeline().addAfter(self, "ws-http", new HttpServerCodec(WebSocketRoute.MAX_UPGRADE_LINE,
                        WebSocketRoute.MAX_UPGRADE_HEADERS, WebSocketRoute.MAX_UPGRADE_HEADERS))
                .addAfter("ws-http", "ws-aggregate", new WebSocketServerUpgrade.RequestAggregator(upgrade))
                .addAfter("ws-aggregate", "ws-upgrade", upgrade)
                .addAfter("ws-upgrade", "ws-bytes", new WebSocketByteStream());
        ctx.pipeline().remove(this); // what was read goes on to the HTTP codec
    }
}
