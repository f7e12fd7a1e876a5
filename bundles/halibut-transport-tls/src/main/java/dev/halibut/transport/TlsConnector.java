package dev.halibut.transport;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.HttpProxy;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.transport.internal.ServerThumbprintMismatchException;
import dev.halibut.wire.Identification;
import dev.halibut.transport.internal.HttpConnectHandler;
import dev.halibut.transport.internal.IdentificationBlock;
import dev.halibut.transport.internal.WebSocketClientUpgrade;
import dev.halibut.transport.internal.WebSocketRoute;
import dev.halibut.transport.internal.ProxyConnectException;
import dev.halibut.transport.internal.TlsProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLEngine;
import dev.halibut.wire.MessageMemoryBudget;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens identified TLS connections to listening endpoints. Establishing a connection (TCP connect, TLS
 * handshake, identification) is retried up to {@link HalibutLimits#connectAttempts()} times within
 * {@link HalibutLimits#connectRetryWindow()}; trust failures and identification refusals are not
 * retried, because trying again cannot change their outcome. A connection goes through an HTTP proxy (HTTP
 * CONNECT) when the endpoint's or the runtime's {@link HttpProxy} applies to it ({@link ServiceEndPoint#proxyOr});
 * TLS and identification then run end to end through the tunnel, and the proxy's failures are connect failures.
 *
 * <p>A {@code wss://host:port/path} endpoint is reached the same way, with a WebSocket upgrade between TLS and the
 * identification; the identification and frames then travel in binary WebSocket frames (docs/protocol.md,
 * "Polling over WebSockets").
 *
 * <p>A connect holds no thread while it connects, handshakes, identifies or backs off between attempts
 * ({@link #connectAsync}; one connect is one {@link ConnectOperation}): its I/O runs on the event loops and its
 * back-off is a timer there. {@link #connect} is the same connect, waited for.
 */
public final class TlsConnector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsConnector.class);
    private static final Set<String> REJECTION_ALERTS = Set.of("bad_certificate", "certificate_unknown",
            "certificate_required", "unsupported_certificate", "access_denied", "unknown_ca",
            "certificate_revoked", "certificate_expired");

    private final TlsContextFactory contexts;
    private final Listener listener;
    private final MessageMemoryBudget budget;
    /** Connects under way, which {@link #close()} ends. */
    private final Set<ConnectOperation> pending = ConcurrentHashMap.newKeySet();
    private final EventLoops loops;
    private final boolean ownsLoops;
    /** The runtime's proxy, or null; an endpoint's own proxy wins. */
    private final HttpProxy proxy;
    private volatile boolean closed;

    /**
     * Told about every connection a connector establishes, and every connect that fails (not about one whose future
     * was cancelled), on the connect's thread, never on an event loop.
     */
    public interface Listener {
        /** A connection to {@code endpoint} is established and identified as {@code self}. */
        default void connected(ServiceEndPoint endpoint, Identification self, Connection connection) {
        }

        /** A connect to {@code endpoint} gave up; {@code failure} is what {@link #connect} throws. */
        default void connectFailed(ServiceEndPoint endpoint, Identification self, HalibutClientException failure) {
        }
    }

    public TlsConnector(TlsContextFactory contexts) {
        this(contexts, new Listener() {
        });
    }

    /**
     * @param listener called on the connect's thread (the caller's for {@link #connect}, the executor's
     *                 for {@link #connectAsync}), never on an event loop; what it throws is logged and ignored
     */
    public TlsConnector(TlsContextFactory contexts, Listener listener) {
        this(contexts, listener, TlsListener.budgetOf(HalibutLimits.defaults()));
    }

    /**
     * @param listener called on the connect's thread (the caller's for {@link #connect}, the executor's
     *                 for {@link #connectAsync}), never on an event loop; what it throws is logged and ignored
     * @param budget   the runtime-wide memory for incomplete messages, shared with the runtime's listeners
     */
    public TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget) {
        this(contexts, listener, budget, new EventLoops("halibut-connector-io"), true);
    }

    /**
     * @param listener called on the connect's thread (the caller's for {@link #connect}, the executor's
     *                 for {@link #connectAsync}), never on an event loop; what it throws is logged and ignored
     * @param budget   the runtime-wide memory for incomplete messages, shared with the runtime's listeners
     * @param loops    the runtime's event loops (not closed by this connector)
     */
    public TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget, EventLoops loops) {
        this(contexts, listener, budget, loops, false, null);
    }

    /**
     * @param listener called on the connect's thread (the caller's for {@link #connect}, the executor's
     *                 for {@link #connectAsync}), never on an event loop; what it throws is logged and ignored
     * @param budget   the runtime-wide memory for incomplete messages, shared with the runtime's listeners
     * @param loops    the runtime's event loops (not closed by this connector)
     * @param proxy    the runtime's HTTP proxy, or {@code null} for none (an endpoint's own proxy wins)
     */
    public TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget, EventLoops loops,
                        HttpProxy proxy) {
        this(contexts, listener, budget, loops, false, proxy);
    }

    private TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget, EventLoops loops,
                         boolean ownsLoops) {
        this(contexts, listener, budget, loops, ownsLoops, null);
    }

    private TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget, EventLoops loops,
                         boolean ownsLoops, HttpProxy proxy) {
        this.contexts = contexts;
        this.listener = listener;
        this.budget = budget;
        this.loops = loops;
        this.ownsLoops = ownsLoops;
        this.proxy = proxy;
    }

    /** The proxy a connection to {@code endpoint} goes through, if any. */
    public Optional<HttpProxy> proxyFor(ServiceEndPoint endpoint) {
        return endpoint.proxyOr(proxy);
    }

    /**
     * Connects to a listening ({@code https://} or {@code wss://}) endpoint and identifies as {@code self}, waiting
     * for the outcome: the same connect as {@link #connectAsync}, whose steps (resolving the host name before each
     * attempt, telling the {@link Listener}) run on the calling thread. An interrupt does not disturb an attempt under
     * way, but ends the wait before a retry ("Interrupted while waiting to reconnect"); the thread's interrupt flag is
     * set again on return.
     *
     * @throws HalibutClientException when no connection could be established; its message names the
     *                                endpoint, the attempts made and the last cause
     * @throws IllegalStateException  called on one of the connector's event loops
     */
    public Connection connect(ServiceEndPoint endpoint, Identification self, HalibutLimits limits) {
        if (loops.inEventLoop()) {
            // The connect's own steps run on these loops: waiting for them here would wait for ever.
            throw new IllegalStateException("A blocking connect to " + endpoint.baseUri() + " on an event loop; use"
                    + " connectAsync, or connect from a worker thread");
        }
        CallingThreadSteps steps = new CallingThreadSteps();
        return steps.await(start(endpoint, self, limits, steps));
    }

    /**
     * Connects to a listening ({@code https://} or {@code wss://}) endpoint and identifies as {@code self} without
     * holding a thread: TCP connect, HTTP proxy CONNECT, TLS handshake, WebSocket upgrade and identification run on
     * the event loops, and the back-off between attempts is a timer there. The attempts, their limits and the
     * failures are those of {@link #connect}.
     *
     * <p>{@code steps} runs the few steps that may block or run others' code: resolving the host name before each
     * attempt, and the outcome (the {@link Listener} told, then the future completed, so what the caller chains on the
     * future runs there too). Give it a pool, never an event loop. If it rejects a step (its owner is closing), the
     * connect ends on the thread at hand without telling the listener: an attempt not yet started as "abandoned", an
     * identified connection closed (then "abandoned" too), a failure as it was.
     *
     * <p>Cancelling the future ends the connect at once: the attempt's channel is closed, a back-off's timer
     * cancelled, and the listener is not told. {@link #close()} ends every pending connect with "abandoned".
     *
     * @return completed with the identified connection, or with the {@link HalibutClientException} {@link #connect}
     *         would throw (an unexpected failure, a bug, with what it was)
     * @throws IllegalArgumentException {@code endpoint} is a polling endpoint
     */
    public CompletableFuture<Connection> connectAsync(ServiceEndPoint endpoint, Identification self, HalibutLimits limits,
                                                      Executor steps) {
        return start(endpoint, self, limits, steps).future();
    }

    private ConnectOperation start(ServiceEndPoint endpoint, Identification self, HalibutLimits limits, Executor steps) {
        if (endpoint.isPolling()) {
            throw new IllegalArgumentException(endpoint.baseUri() + " is a polling endpoint; it cannot be connected to");
        }
        ConnectOperation op = new ConnectOperation(this, endpoint, self, limits, steps, loops.group().next());
        pending.add(op); // before its first look at closed: close() ends it, or it sees closed
        op.start();
        return op;
    }

    boolean isClosed() {
        return closed;
    }

    /** A connect has ended: it is no longer close()'s to end. */
    void ended(ConnectOperation op) {
        pending.remove(op);
    }

    void tellConnected(ServiceEndPoint endpoint, Identification self, Connection c) {
        try {
            listener.connected(endpoint, self, c);
        } catch (RuntimeException bad) {
            LOG.warn("Connection listener failed on {}: {}", c, bad.toString());
        }
    }

    void tellConnectFailed(ServiceEndPoint endpoint, Identification self, HalibutClientException failure) {
        try {
            listener.connectFailed(endpoint, self, failure);
        } catch (RuntimeException bad) {
            LOG.warn("Connection listener failed on a failed connect to {}: {}", endpoint.baseUri(), bad.toString());
        }
    }

    HalibutClientException abandoned(ServiceEndPoint endpoint) {
        return new HalibutClientException("Call to " + endpoint.baseUri() + " abandoned: the runtime is closed");
    }

    /** The failure of a connect out of attempts or time; {@code last} is the last attempt's failure, if any. */
    HalibutClientException couldNotConnect(ServiceEndPoint endpoint, int attempts, long ms, IOException last) {
        Optional<HttpProxy> via = proxyFor(endpoint);
        String advice = last instanceof ProxyConnectException p ? p.advice()
                : last instanceof UnknownHostException
                ? "Check the host name in the endpoint's URI, and that this machine's name service (DNS, hosts file)"
                  + " resolves it"
                : "Check that the service host is running and listening on that host and port, and that no"
                  + " firewall blocks it" + via.map(v -> " (between the proxy " + v.address() + " and it)").orElse("");
        return new HalibutClientException("Could not connect to " + endpoint.baseUri()
                + via.map(v -> " through the HTTP proxy " + v.address()).orElse("") + " after " + attempts
                + (attempts == 1 ? " attempt" : " attempts") + " in " + ms + " ms: " + describe(last)
                + ". " + advice, last);
    }

    /** An attempt's failure as the retry rules see it: retriable I/O, or {@link NotRetriable}. */
    IOException attemptFailure(ServiceEndPoint endpoint, Throwable cause) {
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return new SocketTimeoutException(cause.getMessage());
        }
        if (cause instanceof ProxyConnectException p) {
            return p;
        }
        return classify(endpoint, cause instanceof Exception e ? e : new IOException(cause));
    }

    SocketTimeoutException attemptTimedOut(ServiceEndPoint endpoint, Duration timeout) {
        return new SocketTimeoutException("No TLS handshake and identification with " + endpoint.baseUri()
                + proxyFor(endpoint).map(p -> " through the HTTP proxy " + p.address()).orElse("") + " within " + timeout);
    }

    /**
     * Starts one attempt on {@code loop}: resolves the address (the proxy's or the endpoint's) on the calling thread,
     * then connects; {@code result} gets the identified connection, or the attempt's failure.
     *
     * @return the attempt's channel, or null when there is none (the host name did not resolve; {@code result} says so)
     */
    Channel open(ServiceEndPoint endpoint, Identification self, HalibutLimits limits, Duration timeout, EventLoop loop,
                 Promise<Connection> result) {
        URI uri = endpoint.baseUri();
        SSLContext context = contexts.clientContext(endpoint.remoteThumbprint());
        Optional<HttpProxy> via = proxyFor(endpoint);
        String target = uri.getHost() + ":" + uri.getPort();
        // Resolved here, not by Netty: its default resolver would block the event loop on a slow name server.
        InetSocketAddress address = via.map(p -> new InetSocketAddress(p.host(), p.port()))
                .orElseGet(() -> new InetSocketAddress(uri.getHost(), uri.getPort()));
        if (address.isUnresolved()) {
            result.tryFailure(unreachable(via, target, new UnknownHostException(address.getHostString()
                    + ": no address for this host name")));
            return null;
        }
        // Adds TLS and identification behind itself once the tunnel is open.
        HttpConnectHandler tunnel = via.map(p -> new HttpConnectHandler(p, target, result,
                ctx -> addTls(ctx.pipeline(), "proxy-connect", context, endpoint, self, limits, result))).orElse(null);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(loops.socketChannelType())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Connection.timeoutMillis(timeout))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(Connection.WRITE_LOW_WATER, Connection.WRITE_HIGH_WATER))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tunnel != null) {
                            // TLS starts once the proxy has opened the tunnel: end to end, the proxy relays ciphertext.
                            ch.pipeline().addLast("proxy-connect", tunnel);
                        } else {
                            addTls(ch.pipeline(), null, context, endpoint, self, limits, result);
                        }
                    }
                });
        ChannelFuture connect = b.connect(address);
        Channel ch = connect.channel();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.tryFailure(unreachable(via, target, f.cause()));
            }
        });
        // Later on the loop: SslHandler closes the channel before it reports the alert that made it close, and the
        // alert is what says why (a rejected certificate is not retried).
        ch.closeFuture().addListener(f -> ch.eventLoop().execute(() -> {
            if (tunnel != null) {
                tunnel.closed(); // before the tunnel was open, the proxy closed it: its failure says so
            }
            result.tryFailure(new java.io.EOFException("The connection to " + uri
                    + via.map(p -> " through the HTTP proxy " + p.address()).orElse("")
                    + " was closed during the TLS handshake or identification"));
        }));
        return ch;
    }

    /** The failure of a TCP connect: to the endpoint, or to the proxy (then a {@link ProxyConnectException}). */
    private static Throwable unreachable(Optional<HttpProxy> via, String target, Throwable cause) {
        return via.isEmpty() ? cause : new ProxyConnectException("Could not reach the HTTP proxy "
                + via.get().address() + " (for " + target + "): " + cause, 0, "Check proxy.host and proxy.port,"
                + " and that the proxy runs and this host may reach it", cause);
    }

    /** Adds TLS and identification to a connection's pipeline: last, or right after the handler {@code after}. */
    private void addTls(io.netty.channel.ChannelPipeline pipeline, String after, SSLContext context,
                        ServiceEndPoint endpoint, Identification self, HalibutLimits limits, Promise<Connection> result) {
        URI uri = endpoint.baseUri();
        // Host and port name the TLS session for resumption.
        SSLEngine engine = context.createSSLEngine(uri.getHost(), uri.getPort());
        TlsContextFactory.configure(engine, false);
        SslHandler tls = new SslHandler(engine);
        tls.setHandshakeTimeoutMillis(0); // the attempt's timeout covers it
        TlsProvider.fit(tls); // how records are gathered and cut for this engine (streams)
        Identify identify = new Identify(endpoint, self, limits, tls, result);
        if (after == null) {
            pipeline.addLast("tls", tls);
            pipeline.addLast("identify", identify);
        } else {
            pipeline.addAfter(after, "identify", identify);
            pipeline.addAfter(after, "tls", tls);
        }
    }

    /**
     * The client side of the handshake, on the event loop: checks the server's certificate once TLS is up (a
     * resumed session skips the trust manager), sends our identification, reads the server's, and completes
     * {@code result} with the identified connection (or fails it).
     */
    private final class Identify extends ChannelInboundHandlerAdapter {
        private final ServiceEndPoint endpoint;
        private final Identification self;
        private final HalibutLimits limits;
        private final SslHandler tls;
        private final Promise<Connection> result;
        private final IdentificationBlock reply = new IdentificationBlock(Identification.MAX_LINE_LENGTH);
        private String thumbprint;

        Identify(ServiceEndPoint endpoint, Identification self, HalibutLimits limits, SslHandler tls,
                 Promise<Connection> result) {
            this.endpoint = endpoint;
            this.self = self;
            this.limits = limits;
            this.tls = tls;
            this.result = result;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (!e.isSuccess()) {
                    result.tryFailure(e.cause());
                    return;
                }
                try {
                    thumbprint = Connection.peerThumbprint(tls);
                    if (!Thumbprints.matches(thumbprint, endpoint.remoteThumbprint())) {
                        throw new ServerThumbprintMismatchException(endpoint.remoteThumbprint(), thumbprint);
                    }
                } catch (IOException | java.security.cert.CertificateException ex) {
                    result.tryFailure(ex);
                    ctx.close();
                    return;
                }
                if (WebSocketRoute.isWebSocket(endpoint.baseUri())) {
                    WebSocketClientUpgrade.start(ctx, endpoint.baseUri()); // identifies once UPGRADED
                } else {
                    identify(ctx);
                }
                return;
            }
            if (evt == WebSocketClientUpgrade.UPGRADED) {
                identify(ctx);
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void identify(ChannelHandlerContext ctx) {
            ByteBuf b = ctx.alloc().buffer(128);
            try (ByteBufOutputStream out = new ByteBufOutputStream(b)) {
                self.writeTo(out);
            } catch (IOException ex) {
                throw new IllegalStateException("Writing to memory failed", ex);
            }
            ctx.writeAndFlush(b);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                if (result.isDone() || thumbprint == null) {
                    return;
                }
                Identification id;
                try {
                    id = reply.feed(in);
                } catch (IOException ex) {
                    result.tryFailure(ex);
                    ctx.close();
                    return;
                }
                if (id == null) {
                    return;
                }
                if (id.role() != Identification.Role.SERVER) {
                    result.tryFailure(new NotRetriable(new HalibutClientException("The peer at " + endpoint.baseUri()
                            + " identified as " + id.role().token() + " instead of HALIBUT-SERVER; it is not a Halibut listener")));
                    ctx.close();
                    return;
                }
                Connection c = new Connection(ctx.channel(), limits, budget, thumbprint,
                        endpoint.baseUri().toString(), limits.responseTimeout());
                c.identified(id);
                c.attach(ctx.pipeline());
                if (in.isReadable()) {
                    ctx.fireChannelRead(in.retain());
                }
                ctx.pipeline().remove(this);
                if (!result.trySuccess(c)) {
                    c.close(); // the attempt timed out meanwhile
                }
            } finally {
                in.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.tryFailure(cause);
            ctx.close();
        }
    }

    /** Turns trust failures and refusals into {@link NotRetriable}; other I/O errors stay retriable. */
    private IOException classify(ServiceEndPoint endpoint, Throwable e) {
        URI uri = endpoint.baseUri();
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof NotRetriable nr) {
                return nr;
            }
            if (c instanceof ServerThumbprintMismatchException m) {
                return new NotRetriable(new HalibutClientException("The service at " + uri
                        + " presented a certificate with thumbprint " + m.actual() + ", but the endpoint expects "
                        + m.expected() + ". Either the endpoint's thumbprint is wrong or something else answers at that"
                        + " address; not retrying", e));
            }
            if (c instanceof Identification.IdentificationRejectedException r) {
                String hint = r.code().equals("untrusted-certificate")
                        ? ". Ask its operator to trust our thumbprint " + contexts.thumbprint() : "";
                return new NotRetriable(new HalibutClientException("The service at " + uri + " refused the connection: "
                        + r.getMessage() + hint, e));
            }
            if (c instanceof Identification.UnsupportedVersionException v) {
                return new NotRetriable(new HalibutClientException("The service at " + uri + ": " + v.getMessage(), e));
            }
            if (c instanceof SSLException && c.getMessage() != null && isRejectionAlert(c.getMessage())) {
                return new NotRetriable(new HalibutClientException("The service at " + uri
                        + " rejected our certificate (thumbprint " + contexts.thumbprint() + "): " + c.getMessage()
                        + ". Ask its operator to trust our thumbprint; not retrying", e));
            }
        }
        return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }

    private static boolean isRejectionAlert(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("received fatal alert") && REJECTION_ALERTS.stream().anyMatch(m::contains);
    }


    private static String describe(Throwable e) {
        if (e == null) {
            return "the retry window ran out before an attempt could be made";
        }
        if (e instanceof ProxyConnectException) {
            return e.getMessage();
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }

    /** Stops new attempts and ends the connects under way with "abandoned" (their channels closed, timers cancelled). */
    @Override
    public void close() {
        closed = true;
        for (ConnectOperation op : pending) {
            op.abandon();
        }
        if (ownsLoops) {
            loops.close();
        }
    }

    /** Carries a failure that must not be retried through the I/O exception path. */
    static final class NotRetriable extends IOException {
        private static final long serialVersionUID = 1L;
        final transient HalibutClientException exception;

        NotRetriable(HalibutClientException exception) {
            super(exception.getMessage(), exception);
            this.exception = exception;
        }
    }
}
