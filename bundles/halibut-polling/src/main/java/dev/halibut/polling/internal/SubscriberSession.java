package dev.halibut.polling.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ExchangeException;
import dev.halibut.transport.RequestExchange;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.Identification;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener side of the subscriber connections of one runtime: hands each connection its subscription's
 * queued requests one at a time and carries the responses back. Whenever no work has come for the keep-alive
 * interval, and before a request unless the subscriber was heard from within the heartbeat skip window and its
 * connection is open and quiet ({@link Connection#readyForRequest}), it sends NEXT and expects PROCEED: a dead
 * connection is found before a request is sent on it, and the request goes back to the queue for another
 * connection.
 *
 * <p>While a connection waits for work it is also checked every {@link #PEER_CHECK_INTERVAL}, without blocking
 * and without sending anything ({@link Connection#isQuiet()}), so a subscriber that sends END or closes the
 * connection is let go within that interval, not at the next keep-alive. When the runtime closes
 * ({@link #beginClose()}), each connection ends with END: at once when it waits for work, after its response
 * when it is in an exchange (docs/protocol.md, "Polling mode").
 */
public final class SubscriberSession {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriberSession.class);
    /**
     * How often a subscriber connection that waits for work is checked for the subscriber's END or close. Each
     * check is a non-blocking look at the socket; short enough to let a departed subscriber go promptly, long
     * enough that thousands of idle subscribers cost little.
     */
    public static final Duration PEER_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final PendingRequestQueue queue;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final RequestExchange exchange;
    /** The connections being served now, so that closing can end each of them. */
    private final Set<Served> served = ConcurrentHashMap.newKeySet();
    /** Notified whenever a connection's service ends. */
    private final Object ended = new Object();
    private volatile boolean closing;

    public SubscriberSession(PendingRequestQueue queue, ThumbprintTrust trust, HalibutLimits limits,
                             RequestExchange exchange) {
        this.queue = queue;
        this.trust = trust;
        this.limits = limits;
        this.exchange = exchange;
    }

    /**
     * The identification answer a subscriber gets: {@code HALIBUT-SERVER} with this listener's keep-alive and
     * heartbeat timeout as headers, from which the subscriber tells when the connection is dead
     * ({@link KeepAliveSettings}).
     */
    public Identification reply() {
        return KeepAliveSettings.of(limits).addTo(Identification.server());
    }

    /** Serves {@code connection}, identified as a subscriber of {@code subscription}, until it ends. */
    public void serve(Connection connection, URI subscription) throws IOException {
        Served s = new Served(Thread.currentThread());
        served.add(s);
        LOG.info("Subscriber {} connected for {}", connection, subscription);
        try {
            serve(connection, subscription, s);
        } finally {
            served.remove(s);
            synchronized (ended) {
                ended.notifyAll();
            }
            LOG.info("Subscriber {} of {} disconnected", connection, subscription);
        }
    }

    private void serve(Connection connection, URI subscription, Served s) throws IOException {
        Duration keepAlive = limits.pollingKeepAlive();
        long lastProven = System.nanoTime(); // identification, then every PROCEED and every exchange
        while (true) {
            if (closing) {
                // The runtime closes: the frame table's clean ending, on a connection that carries nothing now.
                LOG.debug("Ending subscriber {} of {}: the runtime is closing", connection, subscription);
                connection.closeGracefully();
                return;
            }
            long untilKeepAlive = keepAlive.toNanos() - (System.nanoTime() - lastProven);
            CollectedRequest request = null;
            if (untilKeepAlive > 0) {
                try {
                    request = s.take(subscription, connection.remoteThumbprint(),
                            Math.min(untilKeepAlive, PEER_CHECK_INTERVAL.toNanos()));
                } catch (InterruptedException e) {
                    if (closing) {
                        continue; // woken by close: END above
                    }
                    Thread.currentThread().interrupt();
                    return;
                }
                if (closing) {
                    if (request != null) {
                        request.putBack(); // nothing of it was sent: another node or connection may still take it
                    }
                    continue;
                }
            }
            if (!trust.isTrusted(connection.remoteThumbprint())) {
                LOG.warn("Closing subscriber {} of {}: its certificate {} is no longer trusted", connection,
                        subscription, connection.remoteThumbprint());
                if (request != null) {
                    request.putBack();
                }
                connection.closeGracefully(); // END: a deliberate ending; its next connection fails the handshake
                return;
            }
            if (request == null) {
                if (untilKeepAlive <= 0 || System.nanoTime() - lastProven >= keepAlive.toNanos()) {
                    // No work for the keep-alive interval: NEXT / PROCEED keeps proxies and NATs from dropping us.
                    if (!connection.checkAlive(limits.heartbeatTimeout())) {
                        return;
                    }
                    lastProven = System.nanoTime();
                } else if (!connection.isQuiet()) {
                    // A subscriber sends nothing unasked but END: it ended or closed the connection.
                    LOG.info("Subscriber {} of {} ended the connection", connection, subscription);
                    return;
                }
                continue;
            }
            // A request goes out at once on a connection heard from just now that is open and quiet; otherwise
            // NEXT / PROCEED proves the subscriber is there first.
            if (!connection.readyForRequest(limits.heartbeatTimeout(), limits.heartbeatSkipWindow())) {
                request.putBack();
                return;
            }
            if (request.sending()) {
                exchange(connection, request);
            }
            lastProven = System.nanoTime();
        }
    }

    private void exchange(Connection connection, CollectedRequest request) throws IOException {
        RequestExchange.Response response;
        try {
            response = exchange.call(connection, request.requestId(), request.request(), limits.responseTimeout());
        } catch (ExchangeException e) {
            request.fail(switch (e.kind()) {
                case NOT_SENT, STREAM_SOURCE_FAILED -> e.getCause().getMessage();
                case RESPONSE_STREAM_ABORTED -> "the polling service host could not send its response: "
                        + e.getCause().getMessage();
                case REFUSED_UNREAD -> "the polling service host ended the connection (END) instead of answering";
                case NO_RESPONSE, PROTOCOL_ERROR, CONNECTION_LOST ->
                        "the polling service host's connection failed after the request was sent (" + e.getCause() + ")";
            });
            if (e.kind().connectionReusable()) {
                return; // nothing was written: the connection carries on
            }
            throw e.getCause(); // as the connection reported it, so the listener logs it by its kind
        }
        // Decoded once, here: the caller in this process takes the decoded envelope from the queue.
        request.complete(response.received());
    }

    /**
     * Starts ending every subscriber connection with END, without waiting: a connection waiting for work ends at
     * once, one in an exchange when its response has arrived (or its connection fails). Connections that arrive
     * from now on end at once too. For the runtime's close; see {@link #awaitEnded}.
     */
    public void beginClose() {
        closing = true;
        served.forEach(Served::wake);
    }

    /**
     * Waits until every connection has ended, at most until {@code deadlineNanos} ({@link System#nanoTime()}).
     *
     * @return whether all have ended; those that have not are in an exchange still, and closing the listener
     *         aborts them
     */
    public boolean awaitEnded(long deadlineNanos) throws InterruptedException {
        synchronized (ended) {
            while (!served.isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(ended, left);
            }
            return true;
        }
    }

    /**
     * The thread serving one connection, and whether it waits in the queue now. Closing interrupts it only then,
     * never during the connection's I/O (an interrupt there would close the channel under an exchange).
     */
    private final class Served {
        private final Thread thread;
        private boolean taking;
        private boolean woken;

        Served(Thread thread) {
            this.thread = thread;
        }

        CollectedRequest take(URI subscription, String thumbprint, long maxWaitNanos) throws InterruptedException {
            synchronized (this) {
                if (closing) {
                    return null;
                }
                taking = true;
            }
            try {
                return queue.take(subscription, thumbprint, Duration.ofNanos(maxWaitNanos));
            } finally {
                boolean clear;
                synchronized (this) {
                    taking = false;
                    clear = woken;
                    woken = false;
                }
                if (clear) {
                    Thread.interrupted(); // our own wake-up call, if take returned before it noticed
                }
            }
        }

        synchronized void wake() {
            if (taking) {
                woken = true;
                thread.interrupt();
            }
        }
    }
}
