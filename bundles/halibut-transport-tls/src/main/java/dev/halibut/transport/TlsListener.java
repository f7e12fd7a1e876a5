package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.transport.internal.FailedHandshakeThrottle;
import dev.halibut.transport.internal.IdentificationBlock;
import dev.halibut.transport.internal.LingeringClose;
import dev.halibut.transport.internal.TlsProvider;
import dev.halibut.transport.internal.WebSocketUpgradeDetector;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageMemoryBudget;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts TCP connections on one address, runs the TLS handshake and the identification on an event loop (no
 * thread waits for a connection that has not identified itself), and hands identified connections to a
 * {@link ConnectionHandler}, which waits for their frames without a thread and serves them on the listener's
 * worker threads. Owns its server channel, its worker threads and every accepted connection; {@link #close()}
 * ends them all.
 *
 * <p>The same port serves polling subscribers over secure WebSockets ({@code wss://host:port/any-path}): right
 * after TLS, a connection that starts with {@code GET } is upgraded to a WebSocket and then carries the same
 * identification and frames in binary WebSocket frames (docs/protocol.md, "Polling over WebSockets").
 *
 * <p>Source addresses whose connections keep failing before they are served are throttled (see
 * {@link FailedHandshakeThrottle}): their connections are paced (they wait, not reading, for their slot), never
 * served out of turn, and their failures are logged in summary rather than one line each.
 */
public final class TlsListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsListener.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final SSLContext context;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final ConnectionHandler handler;
    private final EventLoops loops;
    private final boolean ownsLoops;
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final int id = IDS.incrementAndGet();
    private final AtomicInteger threadIds = new AtomicInteger();
    private final ExecutorService workers;
    private final FailedHandshakeThrottle throttle;
    private final MessageMemoryBudget budget;
    private volatile Channel server;
    private volatile boolean closed;

    /**
     * A listener with event loops of its own (closed with it).
     *
     * @param context the server context from {@link TlsContextFactory#serverContext(ThumbprintTrust)}
     * @param trust   the same trust list, checked again after the handshake and by handlers
     * @param timer   not used any more: deadlines run on the event loops (kept for existing callers)
     */
    public TlsListener(SSLContext context, ThumbprintTrust trust, HalibutLimits limits, ConnectionHandler handler,
                       ScheduledExecutorService timer) {
        this(context, trust, limits, handler, new EventLoops("halibut-listener-" + (IDS.get() + 1) + "-io"), true,
                budgetOf(limits));
    }

    /**
     * @param loops  the runtime's event loops (not closed by this listener)
     * @param budget the runtime-wide memory for incomplete messages, shared with the runtime's other listeners
     *               and its connector
     */
    public TlsListener(SSLContext context, ThumbprintTrust trust, HalibutLimits limits, ConnectionHandler handler,
                       EventLoops loops, MessageMemoryBudget budget) {
        this(context, trust, limits, handler, loops, false, budget);
    }

    private TlsListener(SSLContext context, ThumbprintTrust trust, HalibutLimits limits, ConnectionHandler handler,
                        EventLoops loops, boolean ownsLoops, MessageMemoryBudget budget) {
        this.context = context;
        this.budget = budget;
        this.trust = trust;
        this.limits = limits;
        this.handler = handler;
        this.loops = loops;
        this.ownsLoops = ownsLoops;
        this.throttle = new FailedHandshakeThrottle(limits.failedHandshakeBurst(), pacedQueue(limits),
                limits.failedHandshakeInterval(), System::nanoTime);
        this.workers = new ThreadPoolExecutor(0, limits.maxServerConnections(), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "halibut-listener-" + id + "-worker-" + threadIds.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * How many paced slots ahead a throttled address's connection may wait: as many as fit in half the shorter
     * of the handshake timeout and the connect timeout, and at least the burst. Waiting costs a socket and no
     * thread, and a client whose connection waited less than half its connect timeout still has time for the
     * handshake: so a trusted client behind up to this many of an attacker's connections from its address gets
     * through in one attempt, instead of being closed at once and spending its retries against a full queue.
     */
    static int pacedQueue(HalibutLimits limits) {
        long horizon = Math.min(limits.handshakeTimeout().toNanos(), limits.connectTimeout().toNanos()) / 2;
        long slots = horizon / Math.max(1, limits.failedHandshakeInterval().toNanos());
        return (int) Math.max(limits.failedHandshakeBurst(), Math.min(slots, limits.maxServerConnections()));
    }

    /** A budget of {@code incompleteMessageBudget}, and never less than one message of the largest size. */
    public static MessageMemoryBudget budgetOf(HalibutLimits limits) {
        return new MessageMemoryBudget(Math.max(limits.incompleteMessageBudget(), limits.maxMessageSize()));
    }

    /** Binds and starts accepting; returns the bound address (port 0 picks a free port). */
    public synchronized InetSocketAddress bind(InetSocketAddress address) throws IOException {
        if (server != null) {
            throw new IllegalStateException("This listener is bound already to " + server.localAddress());
        }
        if (closed) {
            throw new IllegalStateException("This listener is closed");
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(Connection.WRITE_LOW_WATER, Connection.WRITE_HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted(ch);
                    }
                });
        Channel s;
        try {
            s = b.bind(address).sync().channel();
        } catch (Exception e) {
            throw new IOException("Cannot listen on " + address + ": " + e.getMessage(), e);
        }
        server = s;
        LOG.info("Listening on {}", s.localAddress());
        return (InetSocketAddress) s.localAddress();
    }

    /** The bound port, or -1 before {@link #bind}. */
    public int port() {
        Channel s = server;
        return s == null ? -1 : ((InetSocketAddress) s.localAddress()).getPort();
    }

    /** How many accepted connections are open now (in handshake or being served). */
    public int openConnections() {
        return open.size();
    }

    /** A new TCP connection, on its event loop: admit it (now or paced), or close it. */
    private void accepted(SocketChannel ch) {
        long acceptedAt = System.nanoTime();
        String peer = String.valueOf(ch.remoteAddress());
        if (closed) {
            ch.close();
            return;
        }
        if (open.size() >= limits.maxServerConnections()) {
            LOG.warn("Refusing connection from {}: {} connections are open, the maximum (maxServerConnections)",
                    peer, open.size());
            refused(peer, open.size() + " connections are open, the maximum (maxServerConnections)");
            Connection.closeNow(ch);
            return;
        }
        InetAddress address = ch.remoteAddress().getAddress();
        FailedHandshakeThrottle.Admission admission = throttle.admit(address);
        if (admission.endedThrottling()) {
            LOG.warn("Connections from {} are no longer throttled; {} failed or refused while throttled",
                    address.getHostAddress(), admission.suppressedWhileThrottled());
        }
        if (admission.refused()) {
            LOG.debug("Closing connection from {} unanswered: its address is throttled and {} connections"
                    + " of it are waiting already", peer, pacedQueue(limits));
            refused(peer, "its address is throttled after repeated failed handshakes and " + pacedQueue(limits)
                    + " of its connections are waiting already");
            Connection.closeNow(ch);
            return;
        }
        open.add(ch);
        ch.closeFuture().addListener(f -> open.remove(ch));
        Handshake handshake = new Handshake(ch, peer, address, acceptedAt);
        ch.pipeline().addLast("linger", handshake.linger);
        // No thread is held while the connection waits for its paced slot: it is not read until then.
        if (admission.delayNanos() == 0) {
            handshake.start();
        } else {
            ch.eventLoop().schedule(handshake::start, admission.delayNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * One accepted connection from TCP accept until it is identified (then it is a {@link Connection}) or refused:
     * TLS handshake, trust check, identification, all on the event loop, within the handshake timeout from accept.
     */
    private final class Handshake extends ChannelInboundHandlerAdapter {
        private final SocketChannel ch;
        private final String peer;
        private final InetAddress address;
        private final LingeringClose linger = new LingeringClose();
        private final ScheduledFuture<?> deadline;
        private final IdentificationBlock block = new IdentificationBlock(limits.maxIdentificationLineLength());
        private SslHandler tls;
        private String thumbprint;
        private boolean done;

        Handshake(SocketChannel ch, String peer, InetAddress address, long acceptedAt) {
            this.ch = ch;
            this.peer = peer;
            this.address = address;
            long left = Math.max(1, acceptedAt + limits.handshakeTimeout().toNanos() - System.nanoTime());
            this.deadline = ch.eventLoop().schedule(this::timedOut, left, TimeUnit.NANOSECONDS);
            ch.closeFuture().addListener(f -> {
                if (!done) {
                    done = true;
                    deadline.cancel(false);
                    if (!closed) {
                        failedBeforeServed();
                    }
                }
            });
        }

        void start() {
            if (done || !ch.isActive()) {
                return;
            }
            SSLEngine engine = context.createSSLEngine();
            TlsContextFactory.configure(engine, true);
            tls = new SslHandler(engine);
            tls.setHandshakeTimeoutMillis(0); // the deadline from accept covers it
            TlsProvider.fit(tls); // how records are gathered and cut for this engine (streams)
            ch.pipeline().addLast("tls", tls);
            // Raw Halibut or a WebSocket upgrade (GET): decided on the first bytes, within the same deadline.
            ch.pipeline().addLast("route", new WebSocketUpgradeDetector(this::upgradeRefused,
                    Math.max(1, limits.handshakeTimeout().toMillis())));
            ch.pipeline().addLast("handshake", this);
            ch.config().setAutoRead(true);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e && !done) {
                if (!e.isSuccess()) {
                    refuse("TLS handshake failed: " + describe(e.cause()), null, null);
                    return;
                }
                try {
                    thumbprint = Connection.peerThumbprint(tls);
                } catch (IOException ex) {
                    refuse("TLS handshake failed: " + ex.getMessage(), null, null);
                    return;
                }
                if (!trust.isTrusted(thumbprint)) {
                    // Only reachable through session resumption after the thumbprint was removed from the trust list.
                    refuse("client certificate " + thumbprint + " is no longer trusted", "untrusted-certificate",
                            "certificate " + thumbprint + " is not trusted");
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                if (done || thumbprint == null) {
                    return; // refused already; nothing more is read from it
                }
                Identification id;
                try {
                    id = block.feed(in);
                } catch (Identification.UnsupportedVersionException e) {
                    refuse(e.getMessage(), "unsupported-version", "this listener speaks version "
                            + Identification.PROTOCOL_VERSION);
                    return;
                } catch (Identification.UnknownRoleException e) {
                    refuse(e.getMessage(), "unknown-role", "expected HALIBUT-CLIENT or HALIBUT-SUBSCRIBER");
                    return;
                } catch (IOException e) {
                    refuse(e.getMessage(), "bad-identification", e.getMessage());
                    return;
                }
                if (id == null) {
                    return;
                }
                if (id.role() == Identification.Role.SERVER || !handler.accepts(id.role())) {
                    String code = id.role() == Identification.Role.SUBSCRIBER ? "polling-not-supported" : "unknown-role";
                    refuse("identified as " + id.role().token() + ", which this listener does not serve", code,
                            "this listener does not serve " + id.role().token());
                    return;
                }
                identified(ctx, id, in);
            } finally {
                in.release();
            }
        }

        private void identified(ChannelHandlerContext ctx, Identification id, ByteBuf rest) {
            done = true;
            deadline.cancel(false);
            ctx.writeAndFlush(block(handler.reply(id)));
            Connection connection = new Connection(ch, limits, budget, thumbprint, peer, limits.serverIdleTimeout());
            connection.identified(id);
            connection.attach(ch.pipeline());
            if (rest.isReadable()) {
                ctx.fireChannelRead(rest.retain()); // frames sent right after the identification: to the decoder
            }
            ch.pipeline().remove(this);
            if (closed) {
                connection.close(); // identified just as the listener stopped: it serves no new connection
                return;
            }
            try {
                handler.connected(connection, id, workers);
            } catch (RuntimeException e) {
                if (e instanceof java.util.concurrent.RejectedExecutionException && workers.isShutdown()) {
                    // shutdown() ran between the check above and the hand-off: the same end as identified after it
                    LOG.debug("Connection from {} identified as the listener stopped; closing it", peer);
                } else {
                    LOG.error("Serving connection from {} failed unexpectedly; closing it", peer, e);
                }
                connection.close();
            }
        }

        private ByteBuf block(Identification id) {
            ByteBuf b = ch.alloc().buffer(64);
            try (ByteBufOutputStream out = new ByteBufOutputStream(b)) {
                id.writeTo(out);
            } catch (IOException e) {
                throw new IllegalStateException("Writing to memory failed", e);
            }
            return b;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!done && tls != null && !tls.handshakeFuture().isDone()) {
                return; // the handshake failed: the completion event says how, and SslHandler closes
            }
            if (!done) {
                LOG.debug("Connection from {} failed before it was identified: {}", peer, cause.toString());
                ctx.close();
            }
        }

        /**
         * An HTTP request on this connection was answered without a WebSocket upgrade (the answer closes the
         * connection once written; the deadline still closes it if that write hangs). A plain GET, such as a load
         * balancer's health check, is not counted against its address; anything else is a failed handshake.
         */
        private void upgradeRefused(String reason, boolean failure) {
            if (done) {
                return;
            }
            done = true;
            String message = "Refusing HTTP request from " + peer + ": " + reason;
            if (!failure) {
                LOG.debug(message); // a health check is no event for the connection log
                return;
            }
            refused(peer, reason);
            countFailureAndLog(message);
        }

        /**
         * Counts a failure against the peer's address and logs {@code message}: in full while the address is within
         * its burst, at debug level once it is throttled. Whether it was logged in full (not throttled).
         */
        private boolean countFailureAndLog(String message) {
            FailedHandshakeThrottle.Failure f = throttle.failed(address);
            if (f == FailedHandshakeThrottle.Failure.SUPPRESSED) {
                LOG.debug("{} (address throttled)", message);
                return false;
            }
            LOG.warn(message);
            if (f == FailedHandshakeThrottle.Failure.THROTTLING_STARTED) {
                logThrottling(address);
            }
            return true;
        }

        /** Closes a connection that has not finished its handshake and identification in time. */
        private void timedOut() {
            if (done) {
                Connection.closeNow(ch); // answered without an upgrade, and the answer did not get out in time
                return;
            }
            done = true;
            if (!closed) {
                refused(peer, "no TLS handshake and identification within " + limits.handshakeTimeout());
                countFailureAndLog("Closing connection from " + peer + ": no TLS handshake and identification within "
                        + limits.handshakeTimeout() + " (handshakeTimeout)");
            }
            Connection.closeNow(ch);
        }

        /**
         * Ends a connection that failed before it was served: counts the failure against its address, logs it (in
         * full while the address is within its burst, at debug level once it is throttled), sends the
         * identification error if there is one, and closes (lingering, unless the address is throttled).
         */
        private void refuse(String reason, String errorCode, String errorText) {
            if (done) {
                return;
            }
            done = true;
            deadline.cancel(false);
            refused(peer, reason);
            if (countFailureAndLog("Refusing connection from " + peer + ": " + reason)) {
                linger.linger();
            }
            if (errorCode != null) {
                ByteBuf b = ch.alloc().buffer(128);
                try (ByteBufOutputStream out = new ByteBufOutputStream(b)) {
                    Identification.writeError(out, errorCode, errorText);
                } catch (IOException e) {
                    throw new IllegalStateException("Writing to memory failed", e);
                }
                ch.writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
            } else if (tls == null || tls.handshakeFuture().isSuccess()) {
                ch.close();
            }
            // else: the TLS handshake failed and SslHandler closes after its alert (lingering, through linger)
        }

        /** An I/O failure or close before the connection was identified counts against its address too. */
        private void failedBeforeServed() {
            if (throttle.failed(address) == FailedHandshakeThrottle.Failure.THROTTLING_STARTED) {
                logThrottling(address);
            }
            LOG.debug("Connection from {} ended before it was identified", peer);
        }
    }

    private void refused(String peer, String reason) {
        try {
            handler.refused(peer, reason);
        } catch (RuntimeException e) {
            LOG.debug("Connection handler failed on a refusal of {}: {}", peer, e.toString());
        }
    }

    private void logThrottling(InetAddress address) {
        LOG.warn("Throttling connections from {}: {} of its connections failed before they were served"
                        + " (failedHandshakeBurst). Its new connections now start their handshakes at most one per {}"
                        + " (failedHandshakeInterval), and their failures are logged only in summary. If this is a"
                        + " client of ours, check its certificate is trusted here", address.getHostAddress(),
                limits.failedHandshakeBurst(), limits.failedHandshakeInterval());
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }

    /**
     * Stops accepting: closes the server channel, without waiting. Connections open already are served on
     * until {@link #shutdown()}, so that a request being served can still send its response.
     */
    public void stopAccepting() {
        closed = true;
        Channel s = server;
        if (s != null) {
            s.close();
        }
    }

    /**
     * Stops accepting, closes every open connection and interrupts the worker threads, without waiting for them:
     * see {@link #awaitTermination(Duration)}.
     */
    public void shutdown() {
        stopAccepting();
        for (Channel ch : open) {
            Connection.closeNow(ch);
        }
        workers.shutdownNow();
    }

    /**
     * Waits at most {@code timeout} in all for the worker threads (and the listener's own event loops, if it has
     * them) to end, after {@link #shutdown()}.
     *
     * @return whether they all ended (a worker does not while the request it serves ignores interruption)
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Channel s = server;
        if (s != null) {
            s.closeFuture().await(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        boolean ended = workers.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (ownsLoops) {
            loops.close();
        }
        return ended;
    }

    /** Stops accepting, closes every open connection and ends all threads (waits up to 5 s). */
    @Override
    public void close() {
        shutdown();
        try {
            if (!awaitTermination(Duration.ofSeconds(5))) {
                LOG.warn("Listener {} threads did not end within 5 s of close()", id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
