package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.polling.PollingException;
import dev.halibut.wire.EncodedMessage;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.ReceivedMessage;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;

/**
 * One call to a polling endpoint: queue the request for its subscription and wait until a service host
 * presenting the endpoint's thumbprint collects it and answers. An interrupted caller withdraws the
 * request if it is still queued.
 */
final class PollingCaller {

    private final MessageCodec codec;
    private final PendingRequestQueue queue;
    private final HalibutLimits defaults;

    PollingCaller(MessageCodec codec, PendingRequestQueue queue, HalibutLimits defaults) {
        this.codec = codec;
        this.queue = queue;
        this.defaults = defaults;
    }

    Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, String what) {
        HalibutLimits limits = endpoint.limitsOr(defaults);
        if (request.bson().length > limits.maxMessageSize()) {
            throw new HalibutClientException(what + ": the request is " + request.bson().length
                    + " bytes, more than the maximum message size of " + limits.maxMessageSize()
                    + " bytes; pass large data as a DataStream");
        }
        PendingCall call = queue.enqueue(endpoint.baseUri(), endpoint.remoteThumbprint(), requestId, request,
                limits.pollingCollectionTimeout());
        ReceivedMessage response;
        try {
            response = call.awaitResponse(limits.responseTimeout());
        } catch (InterruptedException e) {
            boolean withdrawn = call.cancel();
            Thread.currentThread().interrupt();
            throw new HalibutClientException(what + ": interrupted while waiting; " + (withdrawn
                    ? "the request was withdrawn before any service host collected it and will never run"
                    : "a service host had collected the request already, so it may run"), e);
        } catch (PollingException e) {
            String hint = e.reason() == PollingException.Reason.NOT_COLLECTED
                    ? ". Check that the service host polls this listener for " + endpoint.baseUri()
                      + " and that this runtime trusts its certificate"
                    : "";
            throw new HalibutClientException(what + ": " + e.getMessage() + hint, e);
        }
        try {
            IncomingResponse r = codec.decodeResponse(response.bson());
            if (!r.id().equals(requestId)) {
                throw new ProtocolException("the response is for request " + r.id() + ", not " + requestId);
            }
            return new Reply(r, response.streams());
        } catch (ProtocolException e) {
            response.discardStreams();
            throw new HalibutClientException(what + ": the polling service host sent a malformed response ("
                    + e.getMessage() + "); the request may have run", e);
        }
    }
}
