package dev.halibut.transport.internal;

import dev.halibut.HttpProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The first handler of a connection made through an HTTP proxy: once connected to the proxy it asks for a tunnel
 * ({@code CONNECT host:port HTTP/1.1}, with {@code Proxy-Authorization: Basic} when the proxy has credentials),
 * reads the proxy's answer (at most {@link #MAX_RESPONSE_HEADER} bytes; interim 1xx responses before it are skipped,
 * as RFC 9110, section 15.2, asks of every client) and, on a 2xx status, hands the channel
 * to {@code onTunnel} (which adds TLS and identification: they run end to end, through the tunnel) and removes
 * itself. Anything else fails {@code failure} with a {@link ProxyConnectException} and closes the channel.
 *
 * <p>CONNECT is outside the Halibut protocol: it is plain HTTP/1.1 (RFC 9110, section 9.3.6) between this side
 * and the proxy, before any Halibut byte.
 */
public final class HttpConnectHandler extends ChannelInboundHandlerAdapter {

    /** The most bytes of the proxy's status lines and headers read (interim responses included); more is refused. */
    public static final int MAX_RESPONSE_HEADER = 8 * 1024;

    private final HttpProxy proxy;
    private final String target;
    private final Promise<?> failure;
    private final Consumer<ChannelHandlerContext> onTunnel;
    private ByteBuf response;
    private boolean done;

    /**
     * @param target   {@code host:port} of the endpoint to tunnel to (an IPv6 host in brackets)
     * @param failure  failed with a {@link ProxyConnectException} when no tunnel is opened
     * @param onTunnel called on the event loop once the tunnel is open, before this handler leaves the pipeline
     */
    public HttpConnectHandler(HttpProxy proxy, String target, Promise<?> failure, Consumer<ChannelHandlerContext> onTunnel) {
        this.proxy = proxy;
        this.target = target;
        this.failure = failure;
        this.onTunnel = onTunnel;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        StringBuilder request = new StringBuilder()
                .append("CONNECT ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(target).append("\r\n");
        if (proxy.username() != null) {
            String credentials = proxy.username() + ":" + (proxy.password() == null ? "" : proxy.password());
            request.append("Proxy-Authorization: Basic ")
                    .append(Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
                    .append("\r\n");
        }
        request.append("\r\n");
        response = ctx.alloc().buffer(256);
        ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
        // No fireChannelActive: the handlers after the tunnel start when it is open (SslHandler starts its
        // handshake when it is added to an active channel).
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (done) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            // writerIndex counts every byte of the answer so far: skipped interim responses count against the bound.
            int room = MAX_RESPONSE_HEADER - response.writerIndex();
            response.writeBytes(in, Math.min(room, in.readableBytes()));
            int end = endOfHeader(response);
            while (end >= 0 && isInterim(status(response.toString(response.readerIndex(), end,
                    StandardCharsets.ISO_8859_1)))) {
                response.skipBytes(end + 4); // an interim response (100 Continue, ...): the final one follows
                end = endOfHeader(response);
            }
            if (end < 0) {
                if (response.writerIndex() >= MAX_RESPONSE_HEADER) {
                    fail(ctx, 0, "answered the CONNECT request with more than " + MAX_RESPONSE_HEADER
                                    + " bytes of status line and headers",
                            "Check that " + proxy.address() + " is an HTTP proxy");
                }
                return;
            }
            String header = response.toString(response.readerIndex(), end, StandardCharsets.ISO_8859_1);
            int status = status(header);
            if (status < 0) {
                String first = header.lines().findFirst().orElse("");
                fail(ctx, 0, "answered the CONNECT request with something that is not HTTP (" + printable(first) + ")",
                        "Check that " + proxy.address() + " is an HTTP proxy (not a SOCKS proxy, not TLS)");
                return;
            }
            if (status / 100 != 2) {
                refused(ctx, status, header);
                return;
            }
            done = true;
            // Bytes after the header (there should be none: TLS waits for our ClientHello) belong to the tunnel.
            ByteBuf rest = in.readableBytes() > 0 ? in.retainedSlice() : null;
            int extra = response.readableBytes() - end - 4;
            ByteBuf early = extra > 0 ? response.retainedSlice(response.readerIndex() + end + 4, extra) : null;
            onTunnel.accept(ctx);
            if (early != null) {
                ctx.fireChannelRead(early);
            }
            if (rest != null) {
                ctx.fireChannelRead(rest);
            }
            ctx.pipeline().remove(this);
        } finally {
            in.release(); // what the tunnel still needs was passed on as retained slices
        }
    }

    private void refused(ChannelHandlerContext ctx, int status, String header) {
        String statusLine = printable(header.lines().findFirst().orElse(""));
        if (status == 407) {
            String scheme = headerValue(header, "proxy-authenticate");
            fail(ctx, status, "asks for authentication (" + statusLine + (scheme == null ? "" : ", Proxy-Authenticate: "
                            + printable(scheme)) + ")",
                    proxy.username() == null
                            ? "Set proxy.username and proxy.password (HalibutRuntime.Builder.proxy / HttpProxy.withCredentials)"
                            : "Check proxy.username and proxy.password: the proxy did not accept user '" + proxy.username()
                              + "' (only Basic authentication is supported)");
            return;
        }
        fail(ctx, status, "refused the tunnel (" + statusLine + ")", status == 403 || status == 405
                ? "Check that the proxy allows CONNECT to " + target + " (many allow only port 443), or list the host in proxy.no.proxy"
                : "Check that the proxy can reach " + target + ", or list the host in proxy.no.proxy");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed();
        ctx.fireChannelInactive();
    }

    /**
     * The channel closed: if the tunnel was not open yet, the proxy closed it without answering. Called on the event
     * loop (also by the connector, whose close listener may run before {@link #channelInactive}).
     */
    public void closed() {
        if (!done) {
            done = true;
            failure.tryFailure(new ProxyConnectException("The HTTP proxy " + proxy.address()
                    + " closed the connection without answering the CONNECT request for " + target, 0,
                    "Check that " + proxy.address() + " is an HTTP proxy and that it allows CONNECT to " + target, null));
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (response != null) {
            response.release();
            response = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (done) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        failure.tryFailure(new ProxyConnectException("The connection to the HTTP proxy " + proxy.address()
                + " (for " + target + ") failed: " + cause, 0, "Check that the proxy " + proxy.address() + " runs", cause));
        ctx.close();
    }

    private void fail(ChannelHandlerContext ctx, int status, String what, String advice) {
        done = true;
        failure.tryFailure(new ProxyConnectException("The HTTP proxy " + proxy.address() + " " + what
                + " for " + target, status, advice, null));
        ctx.close();
    }

    /** Offset of the blank line ending the header, or -1 when it has not all arrived. */
    private static int endOfHeader(ByteBuf b) {
        for (int i = b.readerIndex(); i + 3 < b.writerIndex(); i++) {
            if (b.getByte(i) == '\r' && b.getByte(i + 1) == '\n' && b.getByte(i + 2) == '\r' && b.getByte(i + 3) == '\n') {
                return i - b.readerIndex();
            }
        }
        return -1;
    }

    /**
     * Whether a status is an interim response that a final one follows (RFC 9110, section 15.2). Not 101 Switching
     * Protocols: CONNECT asks for no upgrade, so a 101 is refused like any other answer that opens no tunnel.
     */
    static boolean isInterim(int status) {
        return status >= 100 && status < 200 && status != 101;
    }

    /** The status code of {@code HTTP/1.x NNN ...}, or -1 for anything else. */
    static int status(String header) {
        String line = header.lines().findFirst().orElse("");
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            return -1;
        }
        String code = line.substring(9, 12);
        if (!code.chars().allMatch(Character::isDigit) || (line.length() > 12 && line.charAt(12) != ' ')) {
            return -1;
        }
        return Integer.parseInt(code);
    }

    private static String headerValue(String header, String name) {
        return header.lines().skip(1)
                .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(name + ":"))
                .map(l -> l.substring(name.length() + 1).trim())
                .findFirst().orElse(null);
    }

    /** At most 120 printable characters, for a message (the answer may be anything). */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 120; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
