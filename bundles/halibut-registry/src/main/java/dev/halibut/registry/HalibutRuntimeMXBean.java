package dev.halibut.registry;

/**
 * The framework's Halibut runtime over JMX, as {@value #OBJECT_NAME}: who it is, what it serves, its
 * connections and queues now, and counts of connection events since it started. Registered while a
 * runtime runs (and the framework has a JMX whiteboard, as Karaf's {@code management} feature does); also
 * an OSGi service under this interface.
 */
public interface HalibutRuntimeMXBean {

    /** The JMX object name. */
    String OBJECT_NAME = "dev.halibut:type=Runtime";

    /** This runtime's certificate thumbprint. */
    String getThumbprint();

    /** The ports it listens on. */
    int[] getListenPorts();

    /** The thumbprints it trusts. */
    String[] getTrustedThumbprints();

    /** The wire names of the services it serves. */
    String[] getServedServices();

    /** Pooled connections to listening service hosts, idle now. */
    int getOutboundConnectionsIdle();

    /** Connections to listening service hosts carrying a call now. */
    int getOutboundConnectionsInUse();

    /** Connections peers have open to this runtime's listeners (callers and polling service hosts). */
    int getInboundConnections();

    /** Polling subscriptions this runtime serves as a service host. */
    int getPollingSubscriptions();

    /** Of the polling connections those subscriptions keep, how many are established now. */
    int getPollingConnectionsConnected();

    /** Requests queued for polling endpoints, not collected yet. */
    int getPendingRequests();

    /** How long the oldest of them has waited, in milliseconds (0 when none waits). */
    long getOldestPendingRequestAgeMillis();

    /** Connections opened since the runtime started (both directions). */
    long getConnectionsOpened();

    /** Connections closed since the runtime started. */
    long getConnectionsClosed();

    /** Outbound connects that failed for good. */
    long getConnectFailures();

    /** Inbound connections refused before being served (handshake, identification, throttling, cap). */
    long getHandshakesRejected();

    /** Requests queued for polling endpoints since the runtime started. */
    long getRequestsQueued();

    /** Of those, collected by a service host. */
    long getRequestsCollected();

    /** Of those, not collected within the collection timeout. */
    long getRequestsExpired();
}
