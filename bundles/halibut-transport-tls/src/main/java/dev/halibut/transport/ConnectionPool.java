package dev.halibut.transport;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.Identification;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client connections to listening endpoints, kept per endpoint for reuse. A caller {@link #acquire}s a
 * connection for exclusive use and gives it back with {@link #release} (healthy, after a complete
 * exchange) or {@link #discard} (anything else). A pooled connection is reused only after it proves alive:
 * at once if the peer was heard from within the heartbeat skip window and the connection is open and
 * quiet, otherwise by the NEXT / PROCEED exchange ({@link Connection#readyForRequest}). Idle connections beyond the per-endpoint bound, or older than the
 * idle timeout, are closed with END.
 */
public final class ConnectionPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPool.class);

    private final TlsConnector connector;
    private final Map<Key, Deque<Connection>> idle = new ConcurrentHashMap<>();
    private final Set<Connection> inUse = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> evictor;
    private final HalibutLimits defaults;
    private volatile boolean closed;

    /**
     * @param connector opens new connections
     * @param defaults  the runtime's limits; their idle timeout sets how often idle connections are checked
     * @param timer     a scheduler (owned by the caller) for idle eviction
     */
    public ConnectionPool(TlsConnector connector, HalibutLimits defaults, ScheduledExecutorService timer) {
        this.connector = connector;
        this.defaults = defaults;
        long period = Math.max(100, Math.min(10_000, defaults.poolIdleTimeout().toMillis() / 4));
        this.evictor = timer.scheduleWithFixedDelay(this::evictExpired, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * A live connection to {@code endpoint} for the caller's exclusive use: a pooled one that proved alive
     * ({@link Connection#readyForRequest}), or a new one.
     */
    public Connection acquire(ServiceEndPoint endpoint) {
        HalibutLimits limits = endpoint.limitsOr(defaults);
        Deque<Connection> deque = idle.get(Key.of(endpoint));
        while (deque != null) {
            Connection c;
            synchronized (deque) {
                c = deque.pollFirst();
            }
            if (c == null) {
                break;
            }
            if (isExpired(c, limits)) {
                c.closeGracefully();
                continue;
            }
            if (c.readyForRequest(limits.heartbeatTimeout(), limits.heartbeatSkipWindow())) {
                track(c);
                return c;
            }
            c.close();
        }
        Connection c = connector.connect(endpoint, Identification.client(), limits);
        track(c);
        return c;
    }

    /** Gives back a connection after a complete exchange; it is kept for reuse or closed. */
    public void release(ServiceEndPoint endpoint, Connection c) {
        inUse.remove(c);
        HalibutLimits limits = endpoint.limitsOr(defaults);
        if (closed || c.isClosed() || limits.poolMaxIdlePerEndpoint() == 0) {
            c.closeGracefully();
            return;
        }
        Deque<Connection> deque = idle.computeIfAbsent(Key.of(endpoint), k -> new ArrayDeque<>());
        Connection surplus = null;
        synchronized (deque) {
            // Most recently used first: the freshest connection is the likeliest to still be alive.
            deque.addFirst(c);
            if (deque.size() > limits.poolMaxIdlePerEndpoint()) {
                surplus = deque.pollLast();
            }
        }
        if (surplus != null) {
            surplus.closeGracefully();
        }
        if (closed) {
            closeIdle();
        }
    }

    /** Closes a connection that failed or whose exchange did not complete; it is never reused. */
    public void discard(Connection c) {
        inUse.remove(c);
        c.close();
    }

    /** Idle connections per endpoint URI, for diagnostics. */
    public int idleCount(ServiceEndPoint endpoint) {
        Deque<Connection> d = idle.get(Key.of(endpoint));
        if (d == null) {
            return 0;
        }
        synchronized (d) {
            return d.size();
        }
    }

    /** Connections handed out and not yet given back. */
    public int inUseCount() {
        return inUse.size();
    }

    private void track(Connection c) {
        inUse.add(c);
        if (closed) {
            inUse.remove(c);
            c.close();
            throw new HalibutClientException("Call to " + c.description() + " abandoned: the runtime is closed");
        }
    }

    private static boolean isExpired(Connection c, HalibutLimits limits) {
        return System.nanoTime() - c.lastUsedNanos() > limits.poolIdleTimeout().toNanos();
    }

    private void evictExpired() {
        for (Deque<Connection> deque : idle.values()) {
            List<Connection> expired = new ArrayList<>();
            synchronized (deque) {
                deque.removeIf(c -> {
                    boolean e = c.isClosed() || isExpired(c, defaults);
                    if (e) {
                        expired.add(c);
                    }
                    return e;
                });
            }
            expired.forEach(Connection::closeGracefully);
        }
    }

    private void closeIdle() {
        for (Deque<Connection> deque : idle.values()) {
            List<Connection> all;
            synchronized (deque) {
                all = new ArrayList<>(deque);
                deque.clear();
            }
            all.forEach(Connection::closeGracefully);
        }
    }

    /** Closes idle connections with END and aborts connections in use (their calls fail). */
    @Override
    public void close() {
        closed = true;
        evictor.cancel(false);
        closeIdle();
        for (Connection c : inUse) {
            c.abort();
        }
    }

    /**
     * Pool key: the endpoint's address and expected certificate, not its per-endpoint limits. Looked up twice per
     * call (acquire, release), so its hash is computed once and the URIs are compared by identity first (an
     * endpoint's normalized URI is usually the very instance the pooled key holds): the record's generated
     * equals and hashCode, with URI.equals comparing component by component, were a sixth of a small call's work on
     * the calling thread.
     */
    private static final class Key {
        private final URI uri;
        private final String thumbprint;
        private final int hash;

        private Key(URI uri, String thumbprint) {
            this.uri = uri;
            this.thumbprint = thumbprint;
            this.hash = 31 * uri.hashCode() + Objects.hashCode(thumbprint);
        }

        static Key of(ServiceEndPoint e) {
            return new Key(e.baseUri().normalize(), e.remoteThumbprint());
        }

        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof Key k && hash == k.hash && (uri == k.uri || uri.equals(k.uri))
                    && Objects.equals(thumbprint, k.thumbprint);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public String toString() {
            return uri + " (" + thumbprint + ")";
        }
    }
}
