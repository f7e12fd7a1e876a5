package dev.halibut.polling.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.StreamTransferListener;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ReceivedStreamStore;
import dev.halibut.transport.StreamAbortedException;
import dev.halibut.transport.StreamSourceException;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageCodec;
import dev.halibut.ReceivedMessage;
import dev.halibut.wire.ProtocolException;
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
    private final MessageCodec codec;
    private final ReceivedStreamStore streams;
    private final StreamTransferListener progress;

    public SubscriberSession(PendingRequestQueue queue, ThumbprintTrust trust, HalibutLimits limits, MessageCodec codec,
                             ReceivedStreamStore streams, StreamTransferListener progress) {
        this.queue = queue;
        this.trust = trust;
        this.limits = limits;
        this.codec = codec;
        this.streams = streams;
        this.progress = progress;
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
        try {
            connection.sendMessage(FrameType.REQUEST, request.request().bson());
            connection.sendStreams(request.request().streams(), progress);
            Frame frame = connection.readFrame(limits.responseTimeout());
            if (frame.type() != FrameType.RESPONSE) {
                throw new ProtocolException("expected a RESPONSE frame from the subscriber but got " + frame.type());
            }
            byte[] bson = connection.messageBytes(frame);
            // The envelope names the streams that follow it; the caller decodes the rest.
            var received = connection.receiveStreams(codec.decodeResponse(bson).streams(), streams,
                    limits.responseTimeout(), progress);
            request.complete(new ReceivedMessage(bson, received));
        } catch (StreamSourceException e) {
            request.fail(e.getMessage());
            throw e;
        } catch (StreamAbortedException e) {
            request.fail("the polling service host could not send its response: " + e.getMessage());
            throw e;
        } catch (IOException e) {
            request.fail("the polling service host's connection failed after the request was sent (" + e + ")");
            throw e;
        }
    }
}
