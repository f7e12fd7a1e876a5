package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
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
 */
public final class TlsListener implements AutoCloseable {

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
        this.sockets = context.getSocketFactory();
        this.trust = trust;
        this.limits = limits;
        this.handler = handler;
        this.timer = timer;
        this.connectionThreads = new ThreadPoolExecutor(0, limits.maxServerConnections(), 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "halibut-listener-" + id + "-conn-" + threadIds.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Binds and starts accepting; returns the bound address (port 0 picks a free port). */
    public synchronized InetSocketAddress bind(InetSocketAddress address) throws IOException {
        if (server != null) {
            throw new IllegalStateException("This listener is bound already to " + server.getLocalSocketAddress());
        }
        if (closed) {
            throw new IllegalStateException("This listener is closed");
        }
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(address, 128);
        } catch (IOException e) {
            s.close();
            throw new IOException("Cannot listen on " + address + ": " + e.getMessage(), e);
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
            open.add(raw);
            try {
                connectionThreads.execute(() -> handle(raw));
            } catch (RejectedExecutionException e) {
                open.remove(raw);
                Connection.closeQuietly(raw);
            }
            if (closed) {
                // close() may have run between accept and add: make sure this socket does not outlive it.
                Connection.closeQuietly(raw);
            }
        }
    }

    private void handle(Socket raw) {
        String peer = String.valueOf(raw.getRemoteSocketAddress());
        java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            LOG.warn("Closing connection from {}: no TLS handshake and identification within {}", peer,
                    limits.handshakeTimeout());
            timedOut.set(true);
            refused(peer, "no TLS handshake and identification within " + limits.handshakeTimeout());
            Connection.closeQuietly(raw);
        }, limits.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        Connection connection = null;
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.setSoTimeout(Connection.timeoutMillis(limits.handshakeTimeout()));
            // autoClose=false: after a failed handshake we close the TCP socket ourselves, gently (see below).
            SSLSocket tls = (SSLSocket) sockets.createSocket(raw, null, raw.getPort(), false);
            TlsContextFactory.configure(tls, true);
            try {
                tls.startHandshake();
            } catch (SSLException e) {
                LOG.warn("TLS handshake with {} failed: {}", peer, describe(e));
                if (!timedOut.get()) {
                    refused(peer, "TLS handshake failed: " + describe(e));
                }
                lingerThenClose(raw);
                return;
            }
            String thumbprint = Connection.peerThumbprint(tls);
            InputStream in = Connection.bufferedInput(tls);
            OutputStream out = Connection.bufferedOutput(tls);
            if (!trust.isTrusted(thumbprint)) {
                // Only reachable through session resumption after the thumbprint was removed from the trust list.
                LOG.warn("Refusing connection from {}: client certificate {} is no longer trusted", peer, thumbprint);
                refused(peer, "client certificate " + thumbprint + " is no longer trusted");
                Identification.writeError(out, "untrusted-certificate", "certificate " + thumbprint + " is not trusted");
                lingerThenClose(raw);
                return;
            }
            Identification id;
            try {
                id = Identification.readFrom(in);
            } catch (Identification.UnsupportedVersionException e) {
                LOG.warn("Refusing connection from {}: {}", peer, e.getMessage());
                refused(peer, e.getMessage());
                Identification.writeError(out, "unsupported-version", "this listener speaks version "
                        + Identification.PROTOCOL_VERSION);
                lingerThenClose(raw);
                return;
            } catch (Identification.UnknownRoleException e) {
                LOG.warn("Refusing connection from {}: {}", peer, e.getMessage());
                refused(peer, e.getMessage());
                Identification.writeError(out, "unknown-role", "expected HALIBUT-CLIENT or HALIBUT-SUBSCRIBER");
                lingerThenClose(raw);
                return;
            } catch (ProtocolException e) {
                LOG.warn("Refusing connection from {}: {}", peer, e.getMessage());
                refused(peer, e.getMessage());
                Identification.writeError(out, "bad-identification", e.getMessage());
                lingerThenClose(raw);
                return;
            }
            if (id.role() == Identification.Role.SERVER || !handler.accepts(id.role())) {
                String code = id.role() == Identification.Role.SUBSCRIBER ? "polling-not-supported" : "unknown-role";
                LOG.warn("Refusing connection from {}: identified as {}, which this listener does not serve", peer, id.role());
                refused(peer, "identified as " + id.role().token() + ", which this listener does not serve");
                Identification.writeError(out, code, "this listener does not serve " + id.role().token());
                lingerThenClose(raw);
                return;
            }
            Identification.server().writeTo(out);
            if (!deadline.cancel(false)) {
                return; // the deadline fired and closed the socket just as we finished
            }
            connection = new Connection(raw, tls, in, out, limits.maxMessageSize(), thumbprint, peer);
            handler.serve(connection, id);
        } catch (EOFException e) {
            LOG.debug("Connection from {} closed by the peer", peer);
        } catch (ProtocolException e) {
            LOG.warn("Closing connection from {}: protocol error: {}", peer, e.getMessage());
        } catch (IOException e) {
            if (!closed && !raw.isClosed()) {
                LOG.warn("Connection from {} failed: {}", peer, e.toString());
            } else {
                LOG.debug("Connection from {} ended: {}", peer, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.error("Connection from {} failed unexpectedly; closing it", peer, e);
        } finally {
            deadline.cancel(false);
            if (connection != null) {
                connection.close();
            }
            Connection.closeQuietly(raw);
            open.remove(raw);
        }
    }


    private void refused(String peer, String reason) {
        try {
            handler.refused(peer, reason);
        } catch (RuntimeException e) {
            LOG.debug("Connection handler failed on a refusal of {}: {}", peer, e.toString());
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

    /** Stops accepting, closes every open connection and ends all threads (waits up to 5 s). */
    @Override
    public void close() {
        closed = true;
        ServerSocket s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("Closing server socket {}: {}", s.getLocalSocketAddress(), e.toString());
            }
        }
        for (Socket raw : open) {
            Connection.closeQuietly(raw);
        }
        connectionThreads.shutdownNow();
        Thread t = acceptThread;
        try {
            if (t != null) {
                t.join(5000);
            }
            if (!connectionThreads.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Listener {} connection threads did not end within 5 s", id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
