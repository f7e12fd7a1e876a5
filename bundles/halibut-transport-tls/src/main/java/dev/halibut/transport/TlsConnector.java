package dev.halibut.transport;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.transport.internal.ServerThumbprintMismatchException;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageMemoryBudget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens identified TLS connections to listening endpoints. Establishing a connection (TCP connect, TLS
 * handshake, identification) is retried up to {@link HalibutLimits#connectAttempts()} times within
 * {@link HalibutLimits#connectRetryWindow()}; trust failures and identification refusals are not
 * retried, because trying again cannot change their outcome.
 */
public final class TlsConnector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsConnector.class);
    private static final Set<String> REJECTION_ALERTS = Set.of("bad_certificate", "certificate_unknown",
            "certificate_required", "unsupported_certificate", "access_denied", "unknown_ca",
            "certificate_revoked", "certificate_expired");

    private final TlsContextFactory contexts;
    private final Listener listener;
    private final MessageMemoryBudget budget;
    private final Set<Socket> connecting = ConcurrentHashMap.newKeySet();
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
        this.contexts = contexts;
        this.listener = listener;
        this.budget = budget;
    }

    /**
     * Connects to a listening ({@code https://}) endpoint and identifies as {@code self}.
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
            // The socket is a channel's (see Connection.restoreInterrupt): a pending interrupt must not fail the connect.
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
        throw new HalibutClientException("Could not connect to " + endpoint.baseUri() + " after " + attempt
                + (attempt == 1 ? " attempt" : " attempts") + " in " + ms + " ms: " + describe(last)
                + ". Check that the service host is running and listening on that host and port, and that no"
                + " firewall blocks it", last);
    }

    private Connection connectOnce(ServiceEndPoint endpoint, Identification self, HalibutLimits limits,
                                   Duration timeout) throws IOException {
        URI uri = endpoint.baseUri();
        // A channel's socket, so that a pooled connection can be checked without blocking (Connection.quietState).
        Socket raw = SocketChannel.open().socket();
        connecting.add(raw);
        boolean done = false;
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            int ms = Connection.timeoutMillis(timeout);
            raw.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), ms);
            raw.setSoTimeout(ms);
            SSLContext context = contexts.clientContext(endpoint.remoteThumbprint());
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(raw, uri.getHost(), uri.getPort(), true);
            TlsContextFactory.configure(tls, false);
            String thumbprint;
            InputStream in;
            OutputStream out;
            Identification reply;
            try {
                tls.startHandshake();
                thumbprint = Connection.peerThumbprint(tls);
                if (!Thumbprints.matches(thumbprint, endpoint.remoteThumbprint())) {
                    // A resumed session skips the trust manager: check the certificate ourselves too.
                    throw new ServerThumbprintMismatchException(endpoint.remoteThumbprint(), thumbprint);
                }
                in = Connection.bufferedInput(tls);
                out = Connection.bufferedOutput(tls);
                self.writeTo(out);
                reply = Identification.readFrom(in);
                if (reply.role() != Identification.Role.SERVER) {
                    throw new NotRetriable(new HalibutClientException("The peer at " + uri + " identified as "
                            + reply.role().token() + " instead of HALIBUT-SERVER; it is not a Halibut listener"));
                }
            } catch (IOException | java.security.cert.CertificateException e) {
                throw classify(endpoint, e);
            }
            raw.setSoTimeout(Connection.timeoutMillis(limits.responseTimeout()));
            Connection c = new Connection(raw, tls, in, out, limits, budget, thumbprint, uri.toString());
            c.identified(reply);
            done = true;
            return c;
        } finally {
            connecting.remove(raw);
            if (!done) {
                Connection.closeQuietly(raw);
            }
        }
    }

    /** Turns trust failures and refusals into {@link NotRetriable}; other I/O errors stay retriable. */
    private IOException classify(ServiceEndPoint endpoint, Exception e) {
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
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }

    /** Stops new attempts and aborts those under way. */
    @Override
    public void close() {
        closed = true;
        backoff.stop();
        for (Socket s : connecting) {
            Connection.closeQuietly(s);
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
