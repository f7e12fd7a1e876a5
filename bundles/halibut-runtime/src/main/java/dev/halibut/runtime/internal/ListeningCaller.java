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

    Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, CallTrace trace) {
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
                // A listener answers END instead of a RESPONSE only when it refuses the request unread
                // (protocol.md, section 5): the request did not run, and this connection is finished.
                trace.fail(Outcome.CONNECT_FAILED);
                yield new HalibutClientException(what + ": the service host at " + endpoint.baseUri()
                        + " refused the request without running it and closed the connection (END instead of a"
                        + " response); it no longer trusts our certificate. The request did not run. Ask its operator"
                        + " to trust our thumbprint");
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
