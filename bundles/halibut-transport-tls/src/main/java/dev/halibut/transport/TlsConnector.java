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
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 */
public final class TlsConnector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsConnector.class);
    private static final Set<String> REJECTION_ALERTS = Set.of("bad_certificate", "certificate_unknown",
            "certificate_required", "unsupported_certificate", "access_denied", "unknown_ca",
            "certificate_revoked", "certificate_expired");

    private final TlsContextFactory contexts;
    private final Listener listener;
    private final MessageMemoryBudget budget;
    private final Set<Channel> connecting = ConcurrentHashMap.newKeySet();
    private final EventLoops loops;
    private final boolean ownsLoops;
    /** The runtime's proxy, or null; an endpoint's own proxy wins. */
    private final HttpProxy proxy;
    private final StoppableWait backoff = new StoppableWait();
    private volatile boolean closed;

    /** Told about every connection a connector establishes, and every {@link #connect} that fails. */
    public interface Listener {
        /** A connection to {@code endpoint} is established and identified as {@code self}. */
        default void connected(ServiceEndPoint endpoint, Identification self, Connection connection) {
        }

        /** {@link #connect} to {@code endpoint} gave up; {@code failure} is what it throws. */
        default void connectFailed(ServiceEndPoint endpoint, Identification self, HalibutClientException failure) {
        }
    }

    public TlsConnector(TlsContextFactory contexts) {
        this(contexts, new Listener() {
        });
    }

    /** @param listener called on the connecting thread; what it throws is logged and ignored */
    public TlsConnector(TlsContextFactory contexts, Listener listener) {
        this(contexts, listener, TlsListener.budgetOf(HalibutLimits.defaults()));
    }

    /**
     * @param listener called on the connecting thread; what it throws is logged and ignored
     * @param budget   the runtime-wide memory for incomplete messages, shared with the runtime's listeners
     */
    public TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget) {
        this(contexts, listener, budget, new EventLoops("halibut-connector-io"), true);
    }

    /**
     * @param listener called on the connecting thread; what it throws is logged and ignored
     * @param budget   the runtime-wide memory for incomplete messages, shared with the runtime's listeners
     * @param loops    the runtime's event loops (not closed by this connector)
     */
    public TlsConnector(TlsContextFactory contexts, Listener listener, MessageMemoryBudget budget, EventLoops loops) {
        this(contexts, listener, budget, loops, false, null);
    }

    /**
     * @param listener called on the connecting thread; what it throws is logged and ignored
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
     * Connects to a listening ({@code https://} or {@code wss://}) endpoint and identifies as {@code self}.
     *
     * @throws HalibutClientException when no connection could be established; its message names the
     *                                endpoint, the attempts made and the last cause
     */
    public Connection connect(ServiceEndPoint endpoint, Identification self, HalibutLimits limits) {
        Connection c;
        try {
            c = establish(endpoint, self, limits);
        } catch (HalibutClientException e) {
            try {
                listener.connectFailed(endpoint, self, e);
            } catch (RuntimeException bad) {
                LOG.warn("Connection listener failed on a failed connect to {}: {}", endpoint.baseUri(), bad.toString());
            }
            throw e;
        }
        try {
            listener.connected(endpoint, self, c);
        } catch (RuntimeException bad) {
            LOG.warn("Connection listener failed on {}: {}", c, bad.toString());
        }
        return c;
    }

    private Connection establish(ServiceEndPoint endpoint, Identification self, HalibutLimits limits) {
        if (endpoint.isPolling()) {
            throw new IllegalArgumentException(endpoint.baseUri() + " is a polling endpoint; it cannot be connected to");
        }
        long start = System.nanoTime();
        long deadline = start + limits.connectRetryWindow().toNanos();
        IOException last = null;
        int attempt = 0;
        while (attempt < limits.connectAttempts()) {
            checkOpen(endpoint);
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            attempt++;
            Duration timeout = Duration.ofNanos(Math.min(limits.connectTimeout().toNanos(), remaining));
            // A pending interrupt must not fail the connect (it is put back afterwards).
            boolean interrupted = Thread.interrupted();
            try {
                return connectOnce(endpoint, self, limits, timeout);
            } catch (NotRetriable e) {
                throw e.exception;
            } catch (IOException e) {
                last = e;
                LOG.debug("Connect attempt {} to {} failed: {}", attempt, endpoint.baseUri(), e.toString());
                if (attempt < limits.connectAttempts()) {
                    Connection.restoreInterrupt(interrupted);
                    interrupted = false;
                    backOff(attempt, deadline);
                }
            } finally {
                Connection.restoreInterrupt(interrupted);
            }
        }
        checkOpen(endpoint);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Optional<HttpProxy> via = proxyFor(endpoint);
        String advice = last instanceof ProxyConnectException p ? p.advice()
                : "Check that the service host is running and listening on that host and port, and that no"
                  + " firewall blocks it" + via.map(v -> " (between the proxy " + v.address() + " and it)").orElse("");
        throw new HalibutClientException("Could not connect to " + endpoint.baseUri()
                + via.map(v -> " through the HTTP proxy " + v.address()).orElse("") + " after " + attempt
                + (attempt == 1 ? " attempt" : " attempts") + " in " + ms + " ms: " + describe(last)
                + ". " + advice, last);
    }

    private Connection connectOnce(ServiceEndPoint endpoint, Identification self, HalibutLimits limits,
                                   Duration timeout) throws IOException {
        URI uri = endpoint.baseUri();
        SSLContext context = contexts.clientContext(endpoint.remoteThumbprint());
        Promise<Connection> result = loops.group().next().newPromise();
        Optional<HttpProxy> via = proxyFor(endpoint);
        String target = uri.getHost() + ":" + uri.getPort();
        // Adds TLS and identification behind itself once the tunnel is open.
        HttpConnectHandler tunnel = via.map(p -> new HttpConnectHandler(p, target, result,
                ctx -> addTls(ctx.pipeline(), "proxy-connect", context, endpoint, self, limits, result))).orElse(null);
        Bootstrap b = new Bootstrap()
                .group(loops.group())
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
        ChannelFuture connect = b.connect(via.map(p -> new InetSocketAddress(p.host(), p.port()))
                .orElseGet(() -> new InetSocketAddress(uri.getHost(), uri.getPort())));
        Channel ch = connect.channel();
        connecting.add(ch);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.tryFailure(via.isEmpty() ? f.cause() : new ProxyConnectException("Could not reach the HTTP proxy "
                        + via.get().address() + " (for " + target + "): " + f.cause(), 0, "Check proxy.host and proxy.port,"
                        + " and that the proxy runs and this host may reach it", f.cause()));
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
        boolean done = false;
        try {
            if (closed) {
                throw new NotRetriable(new HalibutClientException("Call to " + uri + " abandoned: the runtime is closed"));
            }
            if (!result.awaitUninterruptibly(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new SocketTimeoutException("No TLS handshake and identification with " + uri
                        + via.map(p -> " through the HTTP proxy " + p.address()).orElse("") + " within " + timeout);
            }
            if (!result.isSuccess()) {
                Throwable cause = result.cause();
                if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                    throw new SocketTimeoutException(cause.getMessage());
                }
                if (cause instanceof ProxyConnectException p) {
                    throw p;
                }
                throw classify(endpoint, cause instanceof Exception e ? e : new IOException(cause));
            }
            done = true;
            return result.getNow();
        } finally {
            connecting.remove(ch);
            if (!done) {
                Connection.closeNow(ch);
            }
        }
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


    /** Waits before the next attempt: 100 ms doubling, at most 5 s, never past the deadline. */
    private void backOff(int attempt, long deadline) {
        long waitNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(Math.min(5000, 100L << Math.min(attempt - 1, 10))),
                deadline - System.nanoTime());
        try {
            backoff.await(waitNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HalibutClientException("Interrupted while waiting to reconnect", e);
        }
    }

    private void checkOpen(ServiceEndPoint endpoint) {
        if (closed) {
            throw new HalibutClientException("Call to " + endpoint.baseUri() + " abandoned: the runtime is closed");
        }
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

    /** Stops new attempts and aborts those under way. */
    @Override
    public void close() {
        closed = true;
        backoff.stop();
        for (Channel ch : connecting) {
            Connection.closeNow(ch);
        }
        if (ownsLoops) {
            loops.close();
        }
    }

    /** Carries a failure that must not be retried through the I/O exception path. */
    private static final class NotRetriable extends IOException {
        private static final long serialVersionUID = 1L;
        final transient HalibutClientException exception;

        NotRetriable(HalibutClientException exception) {
            super(exception.getMessage(), exception);
            this.exception = exception;
        }
    }
}
