package dev.halibut;

import java.time.Duration;
import java.util.Objects;

/**
 * Every timeout and limit of a runtime in one value. {@link #defaults()} gives the documented
 * defaults; the {@code with...} methods return a changed copy. A runtime has one value; an
 * {@link ServiceEndPoint} may carry its own for calls to it.
 *
 * @param connectAttempts          how many times a call tries to establish a connection (TCP, TLS,
 *                                 identification) before it fails; default 5. Nothing is retried once a
 *                                 request has been sent.
 * @param connectRetryWindow       the total time those attempts may take; default 30 s
 * @param connectTimeout           one attempt's limit for TCP connect, TLS handshake and identification;
 *                                 default 10 s (capped by what is left of the retry window)
 * @param handshakeTimeout         how long a listener gives an accepted connection to finish the TLS
 *                                 handshake and identify itself; default 20 s
 * @param heartbeatTimeout         how long the liveness exchange before reusing a pooled connection may
 *                                 take, and the read timeout for control frames; default 10 s
 * @param responseTimeout          how long a caller waits for the response once its request is sent
 *                                 (the processing limit); default 10 min
 * @param pollingCollectionTimeout how long a request for a polling endpoint waits to be collected before
 *                                 it fails with "not collected" and is removed; default 30 s
 * @param pollingKeepAlive         how long a listener lets a subscriber connection sit without work before it
 *                                 sends a no-work message (NEXT), so proxies and NATs keep it open; default 30 s
 * @param maxMessageSize           the largest message accepted from the network, in bytes, both as sent
 *                                 (compressed) and after decompression; default 16 MiB
 * @param poolMaxIdlePerEndpoint   how many idle connections are kept per endpoint; default 8
 * @param poolIdleTimeout          how long an idle pooled connection is kept; default 2 min
 * @param serverIdleTimeout        how long a listener keeps a connection with no request open; default
 *                                 10 min
 * @param maxServerConnections     how many connections a listener serves at once; more are closed right
 *                                 after accept; default 1,000
 */
public record HalibutLimits(
        int connectAttempts,
        Duration connectRetryWindow,
        Duration connectTimeout,
        Duration handshakeTimeout,
        Duration heartbeatTimeout,
        Duration responseTimeout,
        Duration pollingCollectionTimeout,
        Duration pollingKeepAlive,
        int maxMessageSize,
        int poolMaxIdlePerEndpoint,
        Duration poolIdleTimeout,
        Duration serverIdleTimeout,
        int maxServerConnections) {

    private static final HalibutLimits DEFAULTS = new HalibutLimits(
            5, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(20),
            Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
            16 * 1024 * 1024, 8, Duration.ofMinutes(2), Duration.ofMinutes(10), 1000);

    public HalibutLimits {
        atLeast("connectAttempts", connectAttempts, 1);
        positive("connectRetryWindow", connectRetryWindow);
        positive("connectTimeout", connectTimeout);
        positive("handshakeTimeout", handshakeTimeout);
        positive("heartbeatTimeout", heartbeatTimeout);
        positive("responseTimeout", responseTimeout);
        positive("pollingCollectionTimeout", pollingCollectionTimeout);
        positive("pollingKeepAlive", pollingKeepAlive);
        atLeast("maxMessageSize", maxMessageSize, 1024);
        atLeast("poolMaxIdlePerEndpoint", poolMaxIdlePerEndpoint, 0);
        positive("poolIdleTimeout", poolIdleTimeout);
        positive("serverIdleTimeout", serverIdleTimeout);
        atLeast("maxServerConnections", maxServerConnections, 1);
    }

    /** The documented defaults. */
    public static HalibutLimits defaults() {
        return DEFAULTS;
    }

    public HalibutLimits withConnectAttempts(int v) {
        return new HalibutLimits(v, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withConnectRetryWindow(Duration v) {
        return new HalibutLimits(connectAttempts, v, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withConnectTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, v, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withHandshakeTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, v, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withHeartbeatTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, v, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withResponseTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, v, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withPollingCollectionTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, v, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withPollingKeepAlive(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, v, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withMaxMessageSize(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, v, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withPoolMaxIdlePerEndpoint(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, v, poolIdleTimeout, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withPoolIdleTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, v, serverIdleTimeout, maxServerConnections);
    }

    public HalibutLimits withServerIdleTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, v, maxServerConnections);
    }

    public HalibutLimits withMaxServerConnections(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, v);
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
        }
    }
}
