package dev.halibut.transport.internal;

import java.net.URI;
import java.util.Locale;

/**
 * The constants of polling over secure WebSockets (docs/protocol.md, "Polling over WebSockets"): the URI scheme,
 * the subprotocol both sides insist on, and the bounds on what either side reads during and after the upgrade.
 */
public final class WebSocketRoute {

    /** The scheme of a listener reached over a WebSocket: {@code wss://host:port/path}. */
    public static final String SCHEME = "wss";
    /** The {@code Sec-WebSocket-Protocol} both sides require: version 1 of the Halibut byte stream. */
    public static final String SUBPROTOCOL = "halibut.v1";
    /**
     * The largest WebSocket frame payload either side accepts, and the largest it sends (larger writes are cut
     * into frames of this size): the frames are only a carrier of the byte stream, so their size is ours to bound.
     */
    public static final int MAX_FRAME_PAYLOAD = 64 * 1024;
    /** The largest upgrade request line, and the largest upgrade request or response header block. */
    public static final int MAX_UPGRADE_LINE = 4096;
    /** The largest upgrade request or response header block (and, aggregated, its body: there should be none). */
    public static final int MAX_UPGRADE_HEADERS = 8192;

    private WebSocketRoute() {
    }

    /** Whether {@code uri} names a listener reached over a WebSocket ({@code wss://}). */
    public static boolean isWebSocket(URI uri) {
        return uri.getScheme() != null && SCHEME.equals(uri.getScheme().toLowerCase(Locale.ROOT));
    }

    /** The request target of the upgrade: the endpoint's path (and query), {@code /} when it has none. */
    static String path(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }
}
