package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ConnectionPool;
import dev.halibut.transport.ExchangeException;
import dev.halibut.transport.RequestExchange;
import dev.halibut.EncodedMessage;

/**
 * One call to a listening endpoint: take a connection, run the {@link RequestExchange} on it, and word its
 * failure for the caller. Nothing is retried once the request is written; the connection goes back to the
 * pool only after a complete, well-formed exchange whose response streams were all read to their end or
 * discarded (or when nothing was written). A response stream dropped unread closes the connection.
 */
final class ListeningCaller {

    private final RequestExchange exchange;
    private final ConnectionPool pool;
    private final HalibutLimits defaults;
    private final Telemetry telemetry;

    ListeningCaller(RequestExchange exchange, ConnectionPool pool, HalibutLimits defaults, Telemetry telemetry) {
        this.exchange = exchange;
        this.pool = pool;
        this.defaults = defaults;
        this.telemetry = telemetry;
    }

    /**
     * How many connections a call tries when each one's peer had ended it before the request was written: as
     * after a failed liveness check, nothing was sent, so another connection is not a retry. Bounded, so that a
     * service host that ends every connection at once fails the call instead of looping.
     */
    static final int CONNECTIONS_PER_CALL = 3;

    Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, CallTrace trace) {
        for (int attempt = 1; ; attempt++) {
            Reply reply = callOnce(endpoint, requestId, request, trace, attempt == CONNECTIONS_PER_CALL);
            if (reply != null) {
                return reply;
            }
            // The connection's peer had ended it just before the request went out: nothing was sent; take another.
        }
    }

    /**
     * @param last whether this is the call's last connection
     * @return the reply, or {@code null} if the peer had ended the connection before the request was written (and
     *         this is not the last connection): nothing was sent
     */
    private Reply callOnce(ServiceEndPoint endpoint, String requestId, EncodedMessage request, CallTrace trace,
                           boolean last) {
        HalibutLimits limits = endpoint.limitsOr(defaults);
        Connection c;
        try {
            c = pool.acquire(endpoint);
        } catch (RuntimeException e) {
            trace.fail(Outcome.CONNECT_FAILED);
            throw e;
        }
        telemetry.inUse(c, true);
        boolean reusable = false;
        boolean heldByStreams = false;
        try {
            // The call returns once the response is decoded; its streams are read from this connection as the
            // caller reads them, and the connection goes back to the pool only when all were read or discarded.
            RequestExchange.Response response = exchange.callStreaming(c, requestId, request, limits.responseTimeout(),
                    connectionReusable -> giveBack(endpoint, c, connectionReusable));
            heldByStreams = true;
            return new Reply(response.envelope(), response.streams());
        } catch (ExchangeException e) {
            reusable = e.kind().connectionReusable();
            if (e.kind() == ExchangeException.Kind.NOT_WRITTEN && !last && request.streams().isEmpty()) {
                return null;
            }
            throw failure(endpoint, limits, trace, e);
        } finally {
            if (!heldByStreams) {
                giveBack(endpoint, c, reusable);
            }
        }
    }

    private void giveBack(ServiceEndPoint endpoint, Connection c, boolean reusable) {
        telemetry.inUse(c, false);
        if (reusable) {
            pool.release(endpoint, c);
        } else {
            pool.discard(c);
        }
    }

    /** The caller's exception for a failed exchange: what failed, and whether the request may have run. */
    private static HalibutClientException failure(ServiceEndPoint endpoint, HalibutLimits limits, CallTrace trace,
                                                  ExchangeException e) {
        String what = trace.what;
        Exception cause = e.getCause();
        return switch (e.kind()) {
            case NOT_SENT -> {
                trace.fail(Outcome.CLIENT_ERROR);
                yield new HalibutClientException(what + ": " + cause.getMessage() + "; pass large data as a DataStream", cause);
            }
            case STREAM_SOURCE_FAILED -> {
                trace.fail(Outcome.CLIENT_ERROR);
                yield new HalibutClientException(what + ": " + cause.getMessage() + ". The request was sent and its"
                        + " stream aborted: the service may have started and failed reading it", cause);
            }
            case REFUSED_UNREAD -> {
                // END instead of a RESPONSE: the service host refused the request unread (protocol.md, section 5):
                // it did not run, and this connection is finished. A listener does so when it no longer trusts us.
                trace.fail(Outcome.CONNECT_FAILED);
                yield new HalibutClientException(what + ": the service host at " + endpoint.baseUri()
                        + " refused the request without running it and closed the connection (END instead of a"
                        + " response); it no longer trusts our certificate, or it was closing. The request did not run."
                        + " If it keeps refusing, ask its operator to trust our thumbprint");
            }
            case NOT_WRITTEN -> {
                trace.fail(Outcome.CONNECTION_LOST);
                yield new HalibutClientException(what + ": the service host at " + endpoint.baseUri()
                        + " ended the connection before the request could be written (" + cause.getMessage()
                        + "). The request did not run", cause);
            }
            case NOT_DELIVERED -> {
                trace.fail(Outcome.CONNECTION_LOST);
                yield new HalibutClientException(what + ": the connection failed before the whole request was"
                        + " written (" + cause + "). The request did not run; not retrying", cause);
            }
            case RESPONSE_STREAM_ABORTED -> new HalibutClientException(what
                    + ": the service host could not send the result's stream: " + cause.getMessage(), cause);
            case NO_RESPONSE -> {
                trace.fail(Outcome.TIMEOUT);
                yield new HalibutClientException(what + ": no response within " + limits.responseTimeout()
                        + " (responseTimeout). The request was sent and may have run; not retrying", cause);
            }
            case PROTOCOL_ERROR -> {
                trace.fail(Outcome.CONNECTION_LOST);
                yield new HalibutClientException(what + ": the service host broke the protocol (" + cause.getMessage()
                        + "); the connection was closed. The request may have run; not retrying", cause);
            }
            case CONNECTION_LOST -> {
                trace.fail(Outcome.CONNECTION_LOST);
                yield new HalibutClientException(what + ": the connection failed after the request was sent ("
                        + cause + "). The request may have run; not retrying", cause);
            }
        };
    }
}
