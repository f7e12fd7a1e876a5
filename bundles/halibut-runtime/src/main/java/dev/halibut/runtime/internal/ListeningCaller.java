package dev.halibut.runtime.internal;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.StreamTransferListener;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ConnectionPool;
import dev.halibut.transport.MessageTooLargeException;
import dev.halibut.transport.ReceivedStreamStore;
import dev.halibut.transport.StreamAbortedException;
import dev.halibut.transport.StreamSourceException;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.UUID;

/**
 * One call to a listening endpoint: take a connection, send the request, read its response. Nothing is
 * retried once the request is written; the connection goes back to the pool only after a complete,
 * well-formed exchange.
 */
final class ListeningCaller {

    private final MessageCodec codec;
    private final ConnectionPool pool;
    private final HalibutLimits defaults;
    private final ReceivedStreamStore streams;
    private final StreamTransferListener progress;
    private final Telemetry telemetry;

    ListeningCaller(MessageCodec codec, ConnectionPool pool, HalibutLimits defaults, ReceivedStreamStore streams,
                    StreamTransferListener progress, Telemetry telemetry) {
        this.telemetry = telemetry;
        this.codec = codec;
        this.pool = pool;
        this.defaults = defaults;
        this.streams = streams;
        this.progress = progress;
    }

    Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, CallTrace trace) {
        String what = trace.what;
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
        try {
            try {
                c.sendMessage(FrameType.REQUEST, request.bson());
            } catch (MessageTooLargeException e) {
                reusable = true; // nothing was written
                trace.fail(Outcome.CLIENT_ERROR);
                throw new HalibutClientException(what + ": " + e.getMessage() + "; pass large data as a DataStream", e);
            }
            try {
                c.sendStreams(request.streams(), progress);
            } catch (StreamSourceException e) {
                trace.fail(Outcome.CLIENT_ERROR);
                throw new HalibutClientException(what + ": " + e.getMessage() + ". The request was sent without its"
                        + " streams and aborted; the service was not called with them", e);
            }
            Frame frame = c.readFrame(limits.responseTimeout());
            if (frame.type() == FrameType.END) {
                // A listener answers END instead of a RESPONSE only when it refuses the request unread
                // (protocol.md, section 3): the request did not run, and this connection is finished.
                trace.fail(Outcome.CONNECT_FAILED);
                throw new HalibutClientException(what + ": the service host at " + endpoint.baseUri()
                        + " refused the request without running it and closed the connection (END instead of a"
                        + " response); it no longer trusts our certificate. The request did not run. Ask its operator"
                        + " to trust our thumbprint");
            }
            if (frame.type() != FrameType.RESPONSE) {
                throw new ProtocolException("expected a RESPONSE frame but got " + frame.type());
            }
            IncomingResponse response = codec.decodeResponse(c.messageBytes(frame));
            if (!response.id().equals(requestId)) {
                throw new ProtocolException("the response is for request " + response.id() + ", not " + requestId);
            }
            Map<UUID, DataStream> received;
            try {
                received = c.receiveStreams(response.streams(), streams, limits.responseTimeout(), progress);
            } catch (StreamAbortedException e) {
                throw new HalibutClientException(what + ": the service host could not send the result's stream: "
                        + e.getMessage(), e);
            }
            reusable = true;
            return new Reply(response, received);
        } catch (SocketTimeoutException e) {
            trace.fail(Outcome.TIMEOUT);
            throw new HalibutClientException(what + ": no response within " + limits.responseTimeout()
                    + " (responseTimeout). The request was sent and may have run; not retrying", e);
        } catch (ProtocolException e) {
            trace.fail(Outcome.CONNECTION_LOST);
            throw new HalibutClientException(what + ": the service host broke the protocol (" + e.getMessage()
                    + "); the connection was closed. The request may have run; not retrying", e);
        } catch (IOException e) {
            trace.fail(Outcome.CONNECTION_LOST);
            throw new HalibutClientException(what + ": the connection failed after the request was sent ("
                    + e + "). The request may have run; not retrying", e);
        } finally {
            telemetry.inUse(c, false);
            if (reusable) {
                pool.release(endpoint, c);
            } else {
                pool.discard(c);
            }
        }
    }
}
