package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.PendingCall;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.polling.PollingException;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.ReceivedMessage;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call to a polling endpoint: queue the request for its subscription and wait until a service host
 * presenting the endpoint's thumbprint collects it and answers. An interrupted caller withdraws the
 * request if it is still queued.
 */
final class PollingCaller {

    private final MessageCodec codec;
    private static final Logger LOG = LoggerFactory.getLogger(PollingCaller.class);

    private final ObservedQueue queue;
    private final HalibutLimits defaults;

    PollingCaller(MessageCodec codec, ObservedQueue queue, HalibutLimits defaults) {
        this.codec = codec;
        this.queue = queue;
        this.defaults = defaults;
    }

    Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, CallTrace trace) {
        String what = trace.what;
        HalibutLimits limits = endpoint.limitsOr(defaults);
        if (request.bson().length > limits.maxMessageSize()) {
            trace.fail(Outcome.CLIENT_ERROR);
            throw new HalibutClientException(what + ": the request is " + request.bson().length
                    + " bytes, more than the maximum message size of " + limits.maxMessageSize()
                    + " bytes; pass large data as a DataStream");
        }
        PendingCall call = queue.enqueue(endpoint.baseUri(), endpoint.remoteThumbprint(), requestId, request,
                limits.pollingCollectionTimeout(), trace);
        ReceivedMessage response;
        try {
            response = call.awaitResponse(limits.responseTimeout());
        } catch (InterruptedException e) {
            boolean withdrawn = call.cancel();
            Thread.currentThread().interrupt();
            trace.fail(Outcome.CANCELLED);
            throw new HalibutClientException(what + ": interrupted while waiting; " + (withdrawn
                    ? "the request was withdrawn before any service host collected it and will never run"
                    : "a service host had collected the request already, so it may run"), e);
        } catch (PollingException e) {
            String hint = e.reason() == PollingException.Reason.NOT_COLLECTED
                    ? ". Check that the service host polls this listener for " + endpoint.baseUri()
                      + " and that this runtime trusts its certificate"
                    : "";
            trace.fail(switch (e.reason()) {
                case NOT_COLLECTED -> Outcome.NOT_COLLECTED;
                case NO_RESPONSE -> Outcome.TIMEOUT;
                case CONNECTION_LOST -> Outcome.CONNECTION_LOST;
                case CANCELLED, CLOSED -> Outcome.CANCELLED;
                case QUEUE_UNAVAILABLE -> Outcome.CONNECTION_LOST;
                case REFUSED -> Outcome.CLIENT_ERROR;
            });
            if (e.reason() == PollingException.Reason.NOT_COLLECTED) {
                LOG.info("{} was not collected: no service host presenting {} polled for {} within {}", what,
                        endpoint.remoteThumbprint(), endpoint.baseUri(), limits.pollingCollectionTimeout());
            }
            throw new HalibutClientException(what + ": " + e.getMessage() + hint, e);
        }
        try {
            // The listener's subscriber connection decoded it already when the queue is in this process.
            IncomingResponse r = response.decoded() instanceof IncomingResponse decoded ? decoded
                    : codec.decodeResponse(response.bson());
            if (!r.id().equals(requestId)) {
                throw new ProtocolException("the response is for request " + r.id() + ", not " + requestId);
            }
            return new Reply(r, response.streams());
        } catch (ProtocolException e) {
            response.discardStreams();
            trace.fail(Outcome.CONNECTION_LOST);
            throw new HalibutClientException(what + ": the polling service host sent a malformed response ("
                    + e.getMessage() + "); the request may have run", e);
        }
    }
}
