package dev.halibut.runtime;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What a runtime is doing, at one moment ({@link HalibutRuntime#status()}): an immutable snapshot for
 * operators and monitoring. Lists are sorted by endpoint. Endpoints are in the normal form described in
 * {@link HalibutObserver}.
 *
 * @param time          when the snapshot was taken
 * @param thumbprint    this runtime's certificate thumbprint
 * @param listening     the addresses this runtime listens on
 * @param trusted       the thumbprints it trusts, sorted
 * @param services      the wire names of the services it serves, sorted
 * @param outbound      its connections to listening service hosts, per endpoint
 * @param inbound       connections peers opened to its listeners, per endpoint, peer, role and route
 * @param subscriptions the polling subscriptions it serves as a service host (it connects out to a listener)
 * @param pending       requests its callers queued for polling endpoints that no service host has collected yet
 */
public record RuntimeStatus(Instant time, String thumbprint, List<InetSocketAddress> listening, Set<String> trusted,
                            List<String> services, List<OutboundConnections> outbound, List<InboundConnections> inbound,
                            List<Subscription> subscriptions, List<PendingRequests> pending) {

    /** The route of a connection made straight to its endpoint. */
    public static final String DIRECT = "direct";
    /** The route to a {@code poll://} endpoint: its service host connects here. */
    public static final String POLLED = "polled";
    /** The start of the route of a connection through an HTTP proxy: {@code proxy host:port}. */
    public static final String PROXY_PREFIX = "proxy ";
    /**
     * The route of a connection to a {@code wss://} listener: over a secure WebSocket, directly; through an HTTP
     * proxy it is {@code wss via proxy host:port}.
     */
    public static final String WSS = "wss";
    /**
     * The route of an inbound connection that speaks Halibut straight over TLS (not upgraded to a WebSocket); an
     * inbound connection upgraded to a WebSocket has the route {@value #WSS}. A listener cannot see whether its peer
     * came through an HTTP CONNECT proxy: the proxy relays TLS unchanged.
     */
    public static final String TLS = "tls";

    public RuntimeStatus {
        listening = List.copyOf(listening);
        trusted = Set.copyOf(trusted);
        services = List.copyOf(services);
        outbound = List.copyOf(outbound);
        inbound = List.copyOf(inbound);
        subscriptions = List.copyOf(subscriptions);
        pending = List.copyOf(pending);
    }

    /**
     * Connections to one listening service host ({@code https://}), from the connection pool.
     *
     * @param idle  pooled, waiting to be reused
     * @param inUse carrying a call now
     * @param route how they travel: {@value #DIRECT} or {@code proxy host:port} ({@link HalibutRuntime#route})
     */
    public record OutboundConnections(String endpoint, String remoteThumbprint, int idle, int inUse, String route) {
        /** Connections made directly. */
        public OutboundConnections(String endpoint, String remoteThumbprint, int idle, int inUse) {
            this(endpoint, remoteThumbprint, idle, inUse, DIRECT);
        }
    }

    /**
     * Open connections that one peer made to this runtime's listener.
     *
     * @param endpoint         {@code listen://address:port/} for callers, {@code poll://subscription/} for
     *                         polling service hosts collecting requests
     * @param remoteThumbprint the peer's certificate thumbprint
     * @param role             what the peer identified as
     * @param open             how many such connections are open
     * @param route            how they reached the listener: {@value #TLS} (raw Halibut over TLS) or {@value #WSS}
     *                         (upgraded to a secure WebSocket on the same port)
     */
    public record InboundConnections(String endpoint, String remoteThumbprint, HalibutObserver.Role role, int open,
                                     String route) {
        /** Connections that speak Halibut straight over TLS ({@value #TLS}). */
        public InboundConnections(String endpoint, String remoteThumbprint, HalibutObserver.Role role, int open) {
            this(endpoint, remoteThumbprint, role, open, TLS);
        }
    }

    /**
     * A polling subscription this runtime serves ({@link HalibutRuntime#poll}).
     *
     * @param subscription       the {@code poll://} subscription
     * @param listener           the listener polled
     * @param listenerThumbprint the thumbprint the listener must present
     * @param connections        how many polling connections the subscription keeps
     * @param connected          how many of them are established now
     * @param route              how they travel: {@value #DIRECT} or {@code proxy host:port} ({@link HalibutRuntime#route})
     */
    public record Subscription(URI subscription, URI listener, String listenerThumbprint, int connections,
                               int connected, String route) {
        /** A subscription whose connections go directly to the listener. */
        public Subscription(URI subscription, URI listener, String listenerThumbprint, int connections, int connected) {
            this(subscription, listener, listenerThumbprint, connections, connected, DIRECT);
        }
    }

    /**
     * Requests waiting to be collected for one subscription.
     *
     * @param subscription the subscription in normal form
     * @param count        how many
     * @param oldestAge    how long the oldest has waited
     */
    public record PendingRequests(String subscription, int count, Duration oldestAge) {
    }
}
