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
 * @param poolMaxIdlePerEndpoint   how many idle connections are kept per endpoint; default 64 (an idle connection
 *                                 holds no thread at either end, and a caller with up to this many concurrent
 *                                 calls to one endpoint then reuses connections instead of opening one, with its
 *                                 TLS handshake, for most calls)
 * @param poolIdleTimeout          how long an idle pooled connection is kept; default 2 min
 * @param serverIdleTimeout        how long a listener keeps a connection with no request open; default
 *                                 10 min
 * @param maxServerConnections     how many connections a listener serves at once; more are closed right
 *                                 after accept; default 1,000
 * @param maxStreamsPerMessage     the most streams one message accepted from the network may carry; default
 *                                 256, which is also the protocol's ceiling ({@link #MAX_STREAMS_PER_MESSAGE})
 * @param maxStreamLengthPerMessage the most stream content, in bytes, one message accepted from the network may
 *                                 announce, summed over its streams; default 64 GiB. Checked against the
 *                                 declared lengths before any stream is stored
 * @param maxIdentificationLineLength the longest identification line a listener accepts, CRLF included, in
 *                                 bytes; default 1,024 (the protocol's; at least 64, at most 65,536)
 * @param failedHandshakeBurst     how many failed handshakes (untrusted or missing client certificate, TLS
 *                                 errors, refused identification, handshake timeout) a listener allows one
 *                                 source address in a burst before it throttles that address; default 20. The
 *                                 connections of a throttled address wait for their turn up to half the shorter
 *                                 of handshakeTimeout and connectTimeout, and at least this many slots (those
 *                                 further ahead are closed at once)
 * @param failedHandshakeInterval  how a throttled address recovers and is paced: it regains one failed
 *                                 handshake of its burst per interval, and its new connections start their
 *                                 handshakes at most one per interval; default 50 ms (20 per second)
 * @param heartbeatSkipWindow      a pooled connection, or a subscriber's connection handed a request, whose
 *                                 peer sent a frame less than this ago and which the operating system reports
 *                                 open with nothing unread (not closed, not reset) carries the request without the
 *                                 NEXT / PROCEED exchange first; default 1 s. Zero: the exchange before every
 *                                 request. A connection that dies unseen within the window (no FIN or reset has
 *                                 arrived yet) then fails that call ("may have run") instead of being replaced
 * @param incompleteMessageBudget  how many bytes the messages a runtime is still receiving may hold in all, across
 *                                 all its connections (listening and calling); default 64 MiB. A message's memory
 *                                 grows as its bytes arrive; each connection may hold its first 64 KiB outside
 *                                 the budget. A connection whose message needs more while the budget is taken
 *                                 waits, without reading, as long as it would wait for the peer's next bytes, then
 *                                 is closed (and its call fails). The runtime uses at least its
 *                                 {@code maxMessageSize}, so one message of the largest size always fits. Set per
 *                                 runtime: an endpoint's own limits do not change it
 * @param writeTimeout             how long a writer waits while the peer reads nothing of what is queued for it
 *                                 (a bounded amount: writers wait while more is queued); then the write fails and
 *                                 the connection is closed. Runs from the peer's last progress, so a slow peer
 *                                 that keeps reading never trips it; default 60 s
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
        int maxServerConnections,
        int maxStreamsPerMessage,
        long maxStreamLengthPerMessage,
        int maxIdentificationLineLength,
        int failedHandshakeBurst,
        Duration failedHandshakeInterval,
        Duration heartbeatSkipWindow,
        long incompleteMessageBudget,
        Duration writeTimeout) {

    /** The protocol's ceiling for {@link #maxStreamsPerMessage()}: no peer may send more streams in one message. */
    public static final int MAX_STREAMS_PER_MESSAGE = 256;

    /** The default {@link #writeTimeout()}. */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(60);

    private static final HalibutLimits DEFAULTS = new HalibutLimits(
            5, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(20),
            Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
            16 * 1024 * 1024, 64, Duration.ofMinutes(2), Duration.ofMinutes(10), 1000,
            MAX_STREAMS_PER_MESSAGE, 64L * 1024 * 1024 * 1024, 1024, 20, Duration.ofMillis(50),
            Duration.ofSeconds(1), 64L * 1024 * 1024, DEFAULT_WRITE_TIMEOUT);

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
        between("maxStreamsPerMessage", maxStreamsPerMessage, 0, MAX_STREAMS_PER_MESSAGE);
        if (maxStreamLengthPerMessage < 0) {
            throw new IllegalArgumentException("maxStreamLengthPerMessage must not be negative, was "
                    + maxStreamLengthPerMessage);
        }
        between("maxIdentificationLineLength", maxIdentificationLineLength, 64, 64 * 1024);
        atLeast("failedHandshakeBurst", failedHandshakeBurst, 1);
        positive("failedHandshakeInterval", failedHandshakeInterval);
        Objects.requireNonNull(heartbeatSkipWindow, "heartbeatSkipWindow");
        if (heartbeatSkipWindow.isNegative()) {
            throw new IllegalArgumentException("heartbeatSkipWindow must not be negative, was " + heartbeatSkipWindow);
        }
        if (incompleteMessageBudget < 1) {
            throw new IllegalArgumentException("incompleteMessageBudget must be at least 1 byte, was "
                    + incompleteMessageBudget);
        }
        positive("writeTimeout", writeTimeout);
    }

    /**
     * The limits without {@code incompleteMessageBudget}, which gets its default (64 MiB); for code written
     * before that limit existed.
     */
    public HalibutLimits(int connectAttempts, Duration connectRetryWindow, Duration connectTimeout,
                         Duration handshakeTimeout, Duration heartbeatTimeout, Duration responseTimeout,
                         Duration pollingCollectionTimeout, Duration pollingKeepAlive, int maxMessageSize,
                         int poolMaxIdlePerEndpoint, Duration poolIdleTimeout, Duration serverIdleTimeout,
                         int maxServerConnections, int maxStreamsPerMessage, long maxStreamLengthPerMessage,
                         int maxIdentificationLineLength, int failedHandshakeBurst, Duration failedHandshakeInterval,
                         Duration heartbeatSkipWindow) {
        this(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout,
                pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout,
                serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage,
                maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow,
                64L * 1024 * 1024, DEFAULT_WRITE_TIMEOUT);
    }

    /**
     * The limits without {@code writeTimeout}, which gets its default (60 s); for code written before that limit
     * existed.
     */
    public HalibutLimits(int connectAttempts, Duration connectRetryWindow, Duration connectTimeout,
                         Duration handshakeTimeout, Duration heartbeatTimeout, Duration responseTimeout,
                         Duration pollingCollectionTimeout, Duration pollingKeepAlive, int maxMessageSize,
                         int poolMaxIdlePerEndpoint, Duration poolIdleTimeout, Duration serverIdleTimeout,
                         int maxServerConnections, int maxStreamsPerMessage, long maxStreamLengthPerMessage,
                         int maxIdentificationLineLength, int failedHandshakeBurst, Duration failedHandshakeInterval,
                         Duration heartbeatSkipWindow, long incompleteMessageBudget) {
        this(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout,
                pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout,
                serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage,
                maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow,
                incompleteMessageBudget, DEFAULT_WRITE_TIMEOUT);
    }

    /** The documented defaults. */
    public static HalibutLimits defaults() {
        return DEFAULTS;
    }

    public HalibutLimits withConnectAttempts(int v) {
        return new HalibutLimits(v, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withConnectRetryWindow(Duration v) {
        return new HalibutLimits(connectAttempts, v, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withConnectTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, v, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withHandshakeTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, v, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withHeartbeatTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, v, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withResponseTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, v, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withPollingCollectionTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, v, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withPollingKeepAlive(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, v, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withMaxMessageSize(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, v, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withPoolMaxIdlePerEndpoint(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, v, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withPoolIdleTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, v, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withServerIdleTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, v, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withMaxServerConnections(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, v, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withMaxStreamsPerMessage(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, v, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withMaxStreamLengthPerMessage(long v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, v, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withMaxIdentificationLineLength(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, v, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withFailedHandshakeBurst(int v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, v, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withFailedHandshakeInterval(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, v, heartbeatSkipWindow, incompleteMessageBudget, writeTimeout);
    }

    public HalibutLimits withHeartbeatSkipWindow(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, v, incompleteMessageBudget, writeTimeout);
    }

    /** A copy with {@code incompleteMessageBudget} changed. */
    public HalibutLimits withIncompleteMessageBudget(long v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, v, writeTimeout);
    }

    /** A copy with {@code writeTimeout} changed. */
    public HalibutLimits withWriteTimeout(Duration v) {
        return new HalibutLimits(connectAttempts, connectRetryWindow, connectTimeout, handshakeTimeout, heartbeatTimeout, responseTimeout, pollingCollectionTimeout, pollingKeepAlive, maxMessageSize, poolMaxIdlePerEndpoint, poolIdleTimeout, serverIdleTimeout, maxServerConnections, maxStreamsPerMessage, maxStreamLengthPerMessage, maxIdentificationLineLength, failedHandshakeBurst, failedHandshakeInterval, heartbeatSkipWindow, incompleteMessageBudget, v);
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    private static void between(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + value);
        }
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
        }
    }
}
