package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.transport.internal.FailedHandshakeThrottle;
import dev.halibut.transport.internal.FirstBytesWait;
import dev.halibut.transport.internal.HandshakeSlots;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts TCP connections on one address, runs the TLS handshake and the identification on a
 * connection thread, and hands identified connections to a {@link ConnectionHandler}. Owns its server
 * socket, its accept thread, its connection threads and every accepted socket; {@link #close()} ends
 * them all.
 *
 * <p>Source addresses whose connections keep failing before they are served are throttled (see
 * {@link FailedHandshakeThrottle}): their connections are paced, never served out of turn, and their
 * failures are logged in summary rather than one line each.
 */
public final class TlsListener implements AutoCloseable {

    /**
     * How many connections of one listener may run their TLS handshake and identification at once, each on a
     * thread. A connection is counted only once its first bytes have arrived (before that it waits on the
     * listener's one selector thread); more wait in a queue without a thread. With the blocking transport a
     * handshake in progress holds a thread; this bounds how many. Not lower: peers that send a ClientHello and
     * then stall hold their slots until the handshake timeout, and a small bound would let a few of them keep
     * every other client waiting.
     */
    public static final int MAX_CONCURRENT_HANDSHAKES = 128;

    private static final Logger LOG = LoggerFactory.getLogger(TlsListener.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final SSLSocketFactory sockets;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final ConnectionHandler handler;
    private final ScheduledExecutorService timer;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final int id = IDS.incrementAndGet();
    private final AtomicInteger threadIds = new AtomicInteger();
    private final ExecutorService connectionThreads;
    private final FailedHandshakeThrottle throttle;
    private final MessageMemoryBudget budget;
    private final HandshakeSlots handshakes;
    private volatile FirstBytesWait firstBytes;
    private volatile ServerSocket server;
    private volatile Thread acceptThread;
    private volatile boolean closed;

    /**
     * @param context the server context from {@link TlsContextFactory#serverContext(ThumbprintTrust)}
     * @param trust   the same trust list, checked again after the handshake and by handlers
     * @param timer   a scheduler (owned by the caller) for handshake deadlines
     */
    public TlsListener(SSLContext context, ThumbprintTrust trust, HalibutLimits limits, ConnectionHandler handler,
                       ScheduledExecutorService timer) {
        this(context, trust, limits, handler, timer, budgetOf(limits));
    }

    /**
     * @param budget the runtime-wide memory for incomplete messages, shared with the runtime's other listeners
     *               and its connector
     */
    public TlsListener(SSLContext context, ThumbprintTrust trust, HalibutLimits limits, ConnectionHandler handler,
                       ScheduledExecutorService timer, MessageMemoryBudget budget) {
        this.budget = budget;
        this.sockets = context.getSocketFactory();
        this.trust = trust;
        this.limits = limits;
        this.handler = handler;
        this.timer = timer;
        this.handshakes = new HandshakeSlots(Math.min(MAX_CONCURRENT_HANDSHAKES, limits.maxServerConnections()));
        this.throttle = new FailedHandshakeThrottle(limits.failedHandshakeBurst(), pacedQueue(limits),
                limits.failedHandshakeInterval(), System::nanoTime);
        this.connectionThreads = new ThreadPoolExecutor(0, limits.maxServerConnections(), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "halibut-listener-" + id + "-conn-" + threadIds.incrementAndGet());
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
            throw new IllegalStateException("This listener is bound already to " + server.getLocalSocketAddress());
        }
        if (closed) {
            throw new IllegalStateException("This listener is closed");
        }
        // A channel's server socket: accepted sockets then have channels, so an idle connection can be checked
        // without blocking before it is handed a request (Connection.quietState).
        ServerSocket s = ServerSocketChannel.open().socket();
        try {
            s.setReuseAddress(true);
            s.bind(address, 128);
        } catch (IOException e) {
            s.close();
            throw new IOException("Cannot listen on " + address + ": " + e.getMessage(), e);
        }
        try {
            firstBytes = new FirstBytesWait("halibut-listener-" + id + "-first-bytes-" + s.getLocalPort());
        } catch (IOException e) {
            s.close();
            throw new IOException("Cannot listen on " + address + ": no selector for new connections: " + e.getMessage(), e);
        }
        server = s;
        Thread t = new Thread(this::acceptLoop, "halibut-listener-" + id + "-accept-" + s.getLocalPort());
        t.setDaemon(true);
        acceptThread = t;
        t.start();
        LOG.info("Listening on {}", s.getLocalSocketAddress());
        return (InetSocketAddress) s.getLocalSocketAddress();
    }

    /** The bound port, or -1 before {@link #bind}. */
    public int port() {
        ServerSocket s = server;
        return s == null ? -1 : s.getLocalPort();
    }

    /** How many accepted connections are open now (in handshake or being served). */
    public int openConnections() {
        return open.size();
    }

    private void acceptLoop() {
        ServerSocket s = server;
        while (!closed) {
            Socket raw;
            try {
                raw = s.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("Listener on {} stopped accepting: {}", s.getLocalSocketAddress(), e.toString());
                }
                return;
            }
            if (open.size() >= limits.maxServerConnections()) {
                LOG.warn("Refusing connection from {}: {} connections are open, the maximum (maxServerConnections)",
                        raw.getRemoteSocketAddress(), open.size());
                refused(String.valueOf(raw.getRemoteSocketAddress()), open.size()
                        + " connections are open, the maximum (maxServerConnections)");
                Connection.closeQuietly(raw);
                continue;
            }
            long acceptedAt = System.nanoTime();
            FailedHandshakeThrottle.Admission admission = throttle.admit(raw.getInetAddress());
            if (admission.endedThrottling()) {
                LOG.warn("Connections from {} are no longer throttled; {} failed or refused while throttled",
                        raw.getInetAddress().getHostAddress(), admission.suppressedWhileThrottled());
            }
            if (admission.refused()) {
                LOG.debug("Closing connection from {} unanswered: its address is throttled and {} connections"
                        + " of it are waiting already", raw.getRemoteSocketAddress(), pacedQueue(limits));
                refused(String.valueOf(raw.getRemoteSocketAddress()), "its address is throttled after repeated"
                        + " failed handshakes and " + pacedQueue(limits) + " of its connections are waiting already");
                Connection.closeQuietly(raw);
                continue;
            }
            open.add(raw);
            String peer = String.valueOf(raw.getRemoteSocketAddress());
            Deadline deadline;
            try {
                // The deadline runs from TCP accept: waiting for a paced slot, for the first bytes and for a
                // handshake thread all count.
                deadline = new Deadline(raw, peer, limits.handshakeTimeout().toNanos(), acceptedAt);
            } catch (RejectedExecutionException e) {
                // The runtime is closing and its timer is gone: so is this connection.
                open.remove(raw);
                Connection.closeQuietly(raw);
                continue;
            }
            Runnable handshake = () -> handshakes.start(() -> startHandshake(raw, deadline));
            // No thread is held while the connection waits for its paced slot or for its first bytes.
            Runnable start = () -> firstBytes.whenReadable(raw.getChannel(), handshake);
            if (admission.delayNanos() == 0) {
                start.run();
            } else {
                try {
                    timer.schedule(start, admission.delayNanos(), TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    deadline.cancel();
                    open.remove(raw);
                    Connection.closeQuietly(raw);
                }
            }
            if (closed) {
                // close() may have run between accept and add: make sure this socket does not outlive it.
                Connection.closeQuietly(raw);
            }
        }
    }

    /** Starts the handshake of a connection that holds a handshake slot on a thread of its own. */
    private void startHandshake(Socket raw, Deadline deadline) {
        try {
            connectionThreads.execute(() -> handle(raw, deadline));
        } catch (RejectedExecutionException e) {
            handshakes.finished();
            deadline.cancel();
            open.remove(raw);
            Connection.closeQuietly(raw);
        } catch (OutOfMemoryError e) {
            // "unable to create native thread": the process is at its thread limit. Refuse this connection and
            // keep going; letting the error escape would end the thread that hands connections on.
            handshakes.finished();
            deadline.cancel();
            open.remove(raw);
            Connection.closeQuietly(raw);
            LOG.warn("Refusing connection from {}: no thread could be started for it ({}); the process is at"
                    + " its thread limit (ulimit -u, pid_max) or out of memory", raw.getRemoteSocketAddress(),
                    e.getMessage());
            refused(String.valueOf(raw.getRemoteSocketAddress()), "no thread could be started for it: " + e.getMessage());
        }
    }

    private void handle(Socket raw, Deadline deadline) {
        String peer = deadline.peer;
        long left = deadline.nanosLeft();
        boolean slotHeld = true;
        Connection connection = null;
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            // The Deadline closes the socket at the handshake timeout and says so. The read timeout is only
            // a backstop and runs a second longer, so that under load it never beats the Deadline to it and
            // the refusal is always reported as the handshake timeout it is.
            raw.setSoTimeout(Connection.timeoutMillis(java.time.Duration.ofNanos(Math.max(1, left))
                    .plus(java.time.Duration.ofSeconds(1))));
            // autoClose=false: after a failed handshake we close the TCP socket ourselves, gently (see below).
            SSLSocket tls = (SSLSocket) sockets.createSocket(raw, null, raw.getPort(), false);
            TlsContextFactory.configure(tls, true);
            try {
                tls.startHandshake();
            } catch (SSLException e) {
                refuse(deadline, raw, peer, "TLS handshake failed: " + describe(e));
                return;
            }
            String thumbprint = Connection.peerThumbprint(tls);
            InputStream in = Connection.bufferedInput(tls);
            OutputStream out = Connection.bufferedOutput(tls);
            if (!trust.isTrusted(thumbprint)) {
                // Only reachable through session resumption after the thumbprint was removed from the trust list.
                Identification.writeError(out, "untrusted-certificate", "certificate " + thumbprint + " is not trusted");
                refuse(deadline, raw, peer, "client certificate " + thumbprint + " is no longer trusted");
                return;
            }
            Identification id;
            try {
                id = Identification.readFrom(in, limits.maxIdentificationLineLength());
            } catch (Identification.UnsupportedVersionException e) {
                Identification.writeError(out, "unsupported-version", "this listener speaks version "
                        + Identification.PROTOCOL_VERSION);
                refuse(deadline, raw, peer, e.getMessage());
                return;
            } catch (Identification.UnknownRoleException e) {
                Identification.writeError(out, "unknown-role", "expected HALIBUT-CLIENT or HALIBUT-SUBSCRIBER");
                refuse(deadline, raw, peer, e.getMessage());
                return;
            } catch (ProtocolException e) {
                Identification.writeError(out, "bad-identification", e.getMessage());
                refuse(deadline, raw, peer, e.getMessage());
                return;
            }
            if (id.role() == Identification.Role.SERVER || !handler.accepts(id.role())) {
                String code = id.role() == Identification.Role.SUBSCRIBER ? "polling-not-supported" : "unknown-role";
                Identification.writeError(out, code, "this listener does not serve " + id.role().token());
                refuse(deadline, raw, peer, "identified as " + id.role().token()
                        + ", which this listener does not serve");
                return;
            }
            handler.reply(id).writeTo(out);
            if (!deadline.cancel()) {
                return; // the deadline fired and closed the socket just as we finished
            }
            connection = new Connection(raw, tls, in, out, limits, budget, thumbprint, peer);
            connection.identified(id);
            slotHeld = false;
            handshakes.finished();
            handler.serve(connection, id);
        } catch (EOFException e) {
            LOG.debug("Connection from {} closed by the peer", peer);
            failedBeforeServed(deadline, raw);
        } catch (ProtocolException e) {
            LOG.warn("Closing connection from {}: protocol error: {}", peer, e.getMessage());
        } catch (IOException e) {
            if (!closed && !raw.isClosed()) {
                LOG.warn("Connection from {} failed: {}", peer, e.toString());
            } else {
                LOG.debug("Connection from {} ended: {}", peer, e.toString());
            }
            failedBeforeServed(deadline, raw);
        } catch (RuntimeException e) {
            LOG.error("Connection from {} failed unexpectedly; closing it", peer, e);
        } finally {
            if (slotHeld) {
                handshakes.finished();
            }
            deadline.cancel();
            if (connection != null) {
                connection.close();
            }
            Connection.closeQuietly(raw);
            open.remove(raw);
        }
    }

    /** An I/O failure before the connection was identified counts against its address too. */
    private void failedBeforeServed(Deadline deadline, Socket raw) {
        if (!closed && deadline.cancel()) {
            if (throttle.failed(raw.getInetAddress()) == FailedHandshakeThrottle.Failure.THROTTLING_STARTED) {
                logThrottling(raw);
            }
        }
    }

    /**
     * Ends a connection that failed before it was served: counts the failure against its address, logs it
     * (in full while the address is within its burst, at debug level once it is throttled) and closes.
     */
    private void refuse(Deadline deadline, Socket raw, String peer, String reason) {
        if (!deadline.cancel()) {
            return; // the deadline fired first: it has counted, logged and closed this connection
        }
        refused(peer, reason);
        String message = "Refusing connection from " + peer + ": " + reason;
        FailedHandshakeThrottle.Failure f = throttle.failed(raw.getInetAddress());
        if (f == FailedHandshakeThrottle.Failure.SUPPRESSED) {
            LOG.debug("{} (address throttled)", message);
            Connection.closeQuietly(raw); // bounded work: no lingering for a throttled address
            return;
        }
        LOG.warn(message);
        if (f == FailedHandshakeThrottle.Failure.THROTTLING_STARTED) {
            logThrottling(raw);
        }
        lingerThenClose(raw);
    }

    private void refused(String peer, String reason) {
        try {
            handler.refused(peer, reason);
        } catch (RuntimeException e) {
            LOG.debug("Connection handler failed on a refusal of {}: {}", peer, e.toString());
        }
    }

    private void logThrottling(Socket raw) {
        LOG.warn("Throttling connections from {}: {} of its connections failed before they were served"
                        + " (failedHandshakeBurst). Its new connections now start their handshakes at most one per {}"
                        + " (failedHandshakeInterval), and their failures are logged only in summary. If this is a"
                        + " client of ours, check its certificate is trusted here", raw.getInetAddress().getHostAddress(),
                limits.failedHandshakeBurst(), limits.failedHandshakeInterval());
    }

    /** Closes a connection that has not finished its handshake and identification in time. */
    private final class Deadline {
        private final Socket raw;
        private final String peer;
        private final ScheduledFuture<?> task;
        private final long endsAt;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        Deadline(Socket raw, String peer, long nanos, long from) {
            this.raw = raw;
            this.peer = peer;
            this.endsAt = from + nanos;
            this.task = timer.schedule(this::fire, Math.max(1, endsAt - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        long nanosLeft() {
            return Math.max(1, endsAt - System.nanoTime());
        }

        void fire() {
            if (done.compareAndSet(false, true)) {
                if (!closed) {
                    refused(peer, "no TLS handshake and identification within " + limits.handshakeTimeout());
                    FailedHandshakeThrottle.Failure f = throttle.failed(raw.getInetAddress());
                    String message = "Closing connection from " + peer + ": no TLS handshake and identification within "
                            + limits.handshakeTimeout() + " (handshakeTimeout)";
                    if (f == FailedHandshakeThrottle.Failure.SUPPRESSED) {
                        LOG.debug(message);
                    } else {
                        LOG.warn(message);
                        if (f == FailedHandshakeThrottle.Failure.THROTTLING_STARTED) {
                            logThrottling(raw);
                        }
                    }
                }
                Connection.closeQuietly(raw);
                open.remove(raw); // it may never have reached a thread (waiting for its first bytes or a slot)
                FirstBytesWait w = firstBytes;
                if (w != null) {
                    w.closedOne();
                }
            }
        }

        /** @return true if this call stopped the deadline; false if it had fired or was stopped already */
        boolean cancel() {
            if (done.compareAndSet(false, true)) {
                task.cancel(false);
                return true;
            }
            return false;
        }
    }

    /**
     * Closes after a failed handshake or a refused identification without a TCP reset: the client's last flight may still be unread,
     * and closing with unread data makes the kernel send RST, which can overtake our TLS alert. The client
     * would then see "connection reset" instead of "certificate rejected". So: half-close, drain briefly.
     */
    private static void lingerThenClose(Socket raw) {
        try {
            raw.shutdownOutput();
            raw.setSoTimeout(1000);
            InputStream in = raw.getInputStream();
            byte[] sink = new byte[4096];
            int total = 0;
            while (total < 64 * 1024) {
                int n = in.read(sink);
                if (n < 0) {
                    break;
                }
                total += n;
            }
        } catch (IOException e) {
            // The peer reset or timed out; either way we are done with the socket.
        } finally {
            Connection.closeQuietly(raw);
        }
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
     * Stops accepting: closes the server socket, without waiting. Connections open already are served on
     * until {@link #shutdown()}, so that a request being served can still send its response.
     */
    public void stopAccepting() {
        closed = true;
        ServerSocket s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("Closing server socket {}: {}", s.getLocalSocketAddress(), e.toString());
            }
        }
    }

    /**
     * Stops accepting, closes every open connection and interrupts the connection threads, without waiting
     * for them: see {@link #awaitTermination(Duration)}.
     */
    public void shutdown() {
        stopAccepting();
        FirstBytesWait w = firstBytes;
        if (w != null) {
            w.close();
        }
        for (Socket raw : open) {
            Connection.closeQuietly(raw);
        }
        connectionThreads.shutdownNow();
    }

    /**
     * Waits at most {@code timeout} in all for the accept thread and the connection threads to end, after
     * {@link #shutdown()}.
     *
     * @return whether they all ended (a connection thread does not while the request it serves ignores
     *         interruption)
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Thread t = acceptThread;
        if (t != null && t != Thread.currentThread()) {
            TimeUnit.NANOSECONDS.timedJoin(t, Math.max(1, deadline - System.nanoTime()));
        }
        FirstBytesWait w = firstBytes;
        if (w != null && w.thread() != Thread.currentThread()) {
            TimeUnit.NANOSECONDS.timedJoin(w.thread(), Math.max(1, deadline - System.nanoTime()));
        }
        boolean ended = connectionThreads.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return ended && (t == null || !t.isAlive()) && (w == null || !w.thread().isAlive());
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
