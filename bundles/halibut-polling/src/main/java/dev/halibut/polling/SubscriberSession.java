package dev.halibut.polling;

import dev.halibut.HalibutLimits;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ExchangeException;
import dev.halibut.transport.RequestExchange;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.ReceivedMessage;
import java.io.IOException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener side of one subscriber connection: hands it the subscription's queued requests one at
 * a time and carries the responses back. Whenever no work has come for the keep-alive interval, and before
 * a request unless the subscriber was heard from within the heartbeat skip window and its connection is
 * open and quiet ({@link dev.halibut.transport.Connection#readyForRequest}), it sends NEXT and expects PROCEED: a
 * dead connection is found before a request is sent on it, and the request goes back to the queue for
 * another connection.
 */
public final class SubscriberSession {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriberSession.class);

    private final PendingRequestQueue queue;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final RequestExchange exchange;

    public SubscriberSession(PendingRequestQueue queue, ThumbprintTrust trust, HalibutLimits limits,
                             RequestExchange exchange) {
        this.queue = queue;
        this.trust = trust;
        this.limits = limits;
        this.exchange = exchange;
    }

    /** Serves {@code connection}, identified as a subscriber of {@code subscription}, until it ends. */
    public void serve(Connection connection, URI subscription) throws IOException {
        LOG.info("Subscriber {} connected for {}", connection, subscription);
        try {
            while (true) {
                CollectedRequest request;
                try {
                    request = queue.take(subscription, connection.remoteThumbprint(), limits.pollingKeepAlive());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!trust.isTrusted(connection.remoteThumbprint())) {
                    LOG.warn("Closing subscriber {} of {}: its certificate {} is no longer trusted", connection,
                            subscription, connection.remoteThumbprint());
                    if (request != null) {
                        request.putBack();
                    }
                    return;
                }
                // A request goes out at once on a connection heard from just now that is open and quiet; otherwise,
                // and always for the keep-alive, NEXT / PROCEED proves the subscriber is there.
                boolean alive = request != null ? connection.readyForRequest(limits.heartbeatTimeout(), limits.heartbeatSkipWindow())
                        : connection.checkAlive(limits.heartbeatTimeout());
                if (!alive) {
                    if (request != null) {
                        request.putBack();
                    }
                    return;
                }
                if (request != null && request.sending()) {
                    exchange(connection, request);
                }
            }
        } finally {
            LOG.info("Subscriber {} of {} disconnected", connection, subscription);
        }
    }

    private void exchange(Connection connection, CollectedRequest request) throws IOException {
        ReceivedMessage response;
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
        request.complete(response);
    }
}
