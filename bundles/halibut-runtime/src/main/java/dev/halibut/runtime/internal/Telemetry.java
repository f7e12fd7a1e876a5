package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.ConnectionLogEntry;
import dev.halibut.runtime.ConnectionLogEntry.Level;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutObserver.CallEvent;
import dev.halibut.runtime.HalibutObserver.ConnectionEvent;
import dev.halibut.runtime.HalibutObserver.Direction;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.runtime.HalibutObserver.QueueEvent;
import dev.halibut.runtime.HalibutObserver.Role;
import dev.halibut.runtime.RuntimeStatus;
import dev.halibut.transport.Connection;
import dev.halibut.transport.TlsConnector;
import dev.halibut.wire.Identification;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the runtime reports what happens: it keeps the open connections (for the status), writes the
 * connection log, and passes every event on to the observers. Every method is quick and never throws.
 */
final class Telemetry implements TlsConnector.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);

    private final Observers observers;
    private final ConnectionLog log;
    private final Map<Connection, Tracked> open = new ConcurrentHashMap<>();
    /** The runtime's HTTP proxy (null: none), for the route of outbound connections. */
    private final dev.halibut.HttpProxy proxy;

    /** One open connection. */
    private static final class Tracked {
        final String endpoint;
        final Direction direction;
        final Role role;
        final String remoteAddress;
        final String thumbprint;
        final long openedNanos = System.nanoTime();
        volatile boolean inUse;
        /**
         * How the connection travels: outbound RuntimeStatus.DIRECT, "proxy host:port", "wss" or "wss via proxy
         * host:port"; inbound RuntimeStatus.TLS or RuntimeStatus.WSS.
         */
        String route = RuntimeStatus.DIRECT;

        Tracked(String endpoint, Direction direction, Role role, String remoteAddress, String thumbprint) {
            this.endpoint = endpoint;
            this.direction = direction;
            this.role = role;
            this.remoteAddress = remoteAddress;
            this.thumbprint = thumbprint;
        }
    }

    Telemetry(List<HalibutObserver> initial, int logPerEndpoint, int logEndpoints) {
        this(initial, logPerEndpoint, logEndpoints, null);
    }

    /** @param proxy the runtime's HTTP proxy, or {@code null} */
    Telemetry(List<HalibutObserver> initial, int logPerEndpoint, int logEndpoints, dev.halibut.HttpProxy proxy) {
        this.observers = new Observers(initial);
        this.log = new ConnectionLog(logPerEndpoint, logEndpoints);
        this.proxy = proxy;
    }

    Observers observers() {
        return observers;
    }

    ConnectionLog log() {
        return log;
    }

    // ---- connections -------------------------------------------------------------------------------

    @Override
    public void connected(ServiceEndPoint endpoint, Identification self, Connection connection) {
        Role role = self.role() == Identification.Role.SUBSCRIBER ? Role.SUBSCRIBER : Role.CALLER;
        String key = role == Role.SUBSCRIBER ? EndpointKeys.of(self.subscription()) : EndpointKeys.of(endpoint.baseUri());
        String address = endpoint.baseUri().getHost() + ":" + endpoint.baseUri().getPort();
        Tracked t = new Tracked(key, Direction.OUTBOUND, role, address, connection.remoteThumbprint());
        t.route = Routes.of(endpoint, proxy);
        String via = t.route.equals(RuntimeStatus.DIRECT) ? "" : " via " + t.route;
        opened(connection, t,
                role == Role.SUBSCRIBER
                        ? "Polling connection to " + endpoint.baseUri() + via + " opened (listener certificate "
                          + connection.remoteThumbprint() + ")"
                        : "Connection to " + key + via + " opened (certificate " + connection.remoteThumbprint() + ")");
    }

    @Override
    public void connectFailed(ServiceEndPoint endpoint, Identification self, HalibutClientException failure) {
        Role role = self.role() == Identification.Role.SUBSCRIBER ? Role.SUBSCRIBER : Role.CALLER;
        String key = role == Role.SUBSCRIBER ? EndpointKeys.of(self.subscription()) : EndpointKeys.of(endpoint.baseUri());
        String reason = String.valueOf(failure.getMessage());
        log.add(key, Level.WARN, (role == Role.SUBSCRIBER ? "Polling " + endpoint.baseUri() + ": " : "") + reason);
        var event = new HalibutObserver.ConnectFailure(Instant.now(), key, endpoint.baseUri(), role, reason);
        observers.fire("connectFailed", o -> o.connectFailed(event));
    }

    /** A listener accepted and identified {@code connection}; {@code key} is its listener or subscription. */
    void inboundOpened(Connection connection, String key, Role role) {
        String peer = connection.description();
        Tracked t = new Tracked(key, Direction.INBOUND, role, peer, connection.remoteThumbprint());
        t.route = connection.overWebSocket() ? RuntimeStatus.WSS : RuntimeStatus.TLS;
        opened(connection, t, (role == Role.SUBSCRIBER ? "Polling service host " : "Caller ") + peer + " connected"
                + (connection.overWebSocket() ? " over wss" : "") + " (certificate " + connection.remoteThumbprint() + ")");
    }

    private void opened(Connection connection, Tracked t, String message) {
        open.put(connection, t);
        log.add(t.endpoint, Level.INFO, message);
        ConnectionEvent event = new ConnectionEvent(Instant.now(), t.endpoint, t.direction, t.role, t.remoteAddress,
                t.thumbprint, null, t.route);
        observers.fire("connectionOpened", o -> o.connectionOpened(event));
        connection.onClose(() -> closed(connection));
    }

    private void closed(Connection connection) {
        Tracked t = open.remove(connection);
        if (t == null) {
            return;
        }
        Duration openFor = Duration.ofNanos(System.nanoTime() - t.openedNanos);
        log.add(t.endpoint, Level.INFO, (t.direction == Direction.OUTBOUND
                ? (t.role == Role.SUBSCRIBER ? "Polling connection to " + t.remoteAddress : "Connection to " + t.endpoint)
                : (t.role == Role.SUBSCRIBER ? "Polling service host " : "Caller ") + t.remoteAddress)
                + " closed after " + Durations.human(openFor));
        ConnectionEvent event = new ConnectionEvent(Instant.now(), t.endpoint, t.direction, t.role, t.remoteAddress,
                t.thumbprint, openFor, t.route);
        observers.fire("connectionClosed", o -> o.connectionClosed(event));
    }

    /** Marks an outbound connection as carrying a call (or not), for the idle / in-use counts. */
    void inUse(Connection connection, boolean inUse) {
        Tracked t = open.get(connection);
        if (t != null) {
            t.inUse = inUse;
        }
    }

    void refused(String listener, String peer, String reason) {
        log.add(listener, Level.WARN, "Refused " + peer + ": " + reason);
        var event = new HalibutObserver.Rejection(Instant.now(), listener, peer, reason);
        observers.fire("handshakeRejected", o -> o.handshakeRejected(event));
    }

    // ---- calls ---------------------------------------------------------------------------------------

    /**
     * Whether an event of a call (or a served request) that went well is seen by anyone: an observer, or the debug
     * log. Failed ones always are (the connection log). Lets the hot path skip making an event nobody reads.
     */
    boolean observesCalls() {
        return !observers.isEmpty() || LOG.isDebugEnabled();
    }

    void callCompleted(CallEvent event) {
        if (event.outcome() != Outcome.OK) {
            log.add(event.endpoint(), Level.WARN, "Call to " + event.service() + "." + event.method() + " failed after "
                    + Durations.human(event.duration()) + " (" + event.outcome() + "): " + event.failure());
        }
        LOG.debug("Call to {}.{} at {}: {} in {}", event.service(), event.method(), event.endpoint(), event.outcome(),
                event.duration());
        observers.fire("callCompleted", o -> o.callCompleted(event));
    }

    void requestServed(CallEvent event) {
        if (event.outcome() != Outcome.OK) {
            log.add(event.endpoint(), Level.WARN, "Request " + event.service() + "." + event.method() + " from "
                    + event.remoteThumbprint() + " answered with " + event.outcome() + " after "
                    + Durations.human(event.duration()) + ": " + event.failure());
        }
        LOG.debug("Served {}.{} from {} ({}): {} in {}", event.service(), event.method(), event.endpoint(),
                event.remoteThumbprint(), event.outcome(), event.duration());
        observers.fire("requestServed", o -> o.requestServed(event));
    }

    void requestQueued(QueueEvent event) {
        observers.fire("requestQueued", o -> o.requestQueued(event));
    }

    void requestCollected(QueueEvent event) {
        observers.fire("requestCollected", o -> o.requestCollected(event));
    }

    void requestExpired(QueueEvent event) {
        log.add(event.subscription(), Level.WARN, "Request " + event.service() + "." + event.method() + " ("
                + event.requestId() + ") was not collected within " + Durations.human(event.waited())
                + " by a service host presenting " + event.expectedThumbprint() + "; it was removed");
        observers.fire("requestExpired", o -> o.requestExpired(event));
    }

    // ---- status --------------------------------------------------------------------------------------

    List<RuntimeStatus.OutboundConnections> outbound() {
        Map<List<String>, int[]> counts = new TreeMap<>(Comparator.comparing((List<String> k) -> k.get(0))
                .thenComparing(k -> k.get(1)).thenComparing(k -> k.get(2)));
        for (Tracked t : open.values()) {
            if (t.direction == Direction.OUTBOUND && t.role == Role.CALLER) {
                int[] c = counts.computeIfAbsent(List.of(t.endpoint, t.thumbprint, t.route), k -> new int[2]);
                c[t.inUse ? 1 : 0]++;
            }
        }
        List<RuntimeStatus.OutboundConnections> out = new ArrayList<>();
        counts.forEach((k, c) -> out.add(new RuntimeStatus.OutboundConnections(k.get(0), k.get(1), c[0], c[1], k.get(2))));
        return out;
    }

    List<RuntimeStatus.InboundConnections> inbound() {
        Map<List<String>, int[]> counts = new TreeMap<>(Comparator.comparing((List<String> k) -> k.get(0))
                .thenComparing(k -> k.get(1)).thenComparing(k -> k.get(2)).thenComparing(k -> k.get(3)));
        for (Tracked t : open.values()) {
            if (t.direction == Direction.INBOUND) {
                counts.computeIfAbsent(List.of(t.endpoint, t.thumbprint, t.role.name(), t.route), k -> new int[1])[0]++;
            }
        }
        List<RuntimeStatus.InboundConnections> in = new ArrayList<>();
        counts.forEach((k, c) -> in.add(new RuntimeStatus.InboundConnections(k.get(0), k.get(1), Role.valueOf(k.get(2)),
                c[0], k.get(3))));
        return in;
    }
}
