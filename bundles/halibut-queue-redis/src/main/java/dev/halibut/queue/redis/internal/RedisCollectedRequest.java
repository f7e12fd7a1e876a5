package dev.halibut.queue.redis.internal;

import dev.halibut.polling.CollectedRequest;
import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request this node's subscriber connection took from Redis. Its streams are read from Redis as they are
 * sent; they stay there (the caller deletes them when its call ends) so a request put back can be sent again.
 * A Redis failure here is logged and left to the caller's own look at the request, which fails the call.
 */
final class RedisCollectedRequest implements CollectedRequest {

    private static final Logger LOG = LoggerFactory.getLogger(RedisCollectedRequest.class);

    private final Node node;
    private final String id;
    private final byte[] queueKey;
    private final byte[] bson;
    private final StreamDescriptors streams;
    private EncodedMessage request;

    RedisCollectedRequest(Node node, String id, byte[] queueKey, byte[] bson, StreamDescriptors streams) {
        this.node = node;
        this.id = id;
        this.queueKey = queueKey;
        this.bson = bson;
        this.streams = streams;
    }

    /**
     * A request this node has just taken (its state is TAKEN, collected by this node), or {@code null} if its stored
     * stream list is malformed: then it is failed (its caller is told) rather than handed out.
     */
    static RedisCollectedRequest of(Node node, String id, byte[] queueKey, byte[] bson, String streamList) {
        StreamDescriptors streams;
        try {
            streams = StreamDescriptors.parse(streamList);
        } catch (IllegalArgumentException e) {
            LOG.warn("Request {} in {} is malformed ({}); failing it", id, node.store.description(), e.getMessage());
            new RedisCollectedRequest(node, id, queueKey, new byte[0], StreamDescriptors.NONE)
                    .fail("its stored form is malformed (" + e.getMessage() + ")");
            return null;
        }
        return new RedisCollectedRequest(node, id, queueKey, bson, streams);
    }

    @Override
    public String requestId() {
        return id;
    }

    @Override
    public synchronized EncodedMessage request() {
        if (request == null) {
            request = new EncodedMessage(bson, List.copyOf(node.streams.open(streams, false).values()));
        }
        return request;
    }

    @Override
    public boolean sending() {
        try {
            Object r = node.script("marking request " + id + " as sent", Script.SENDING, id, List.of(), node.nodeId());
            return r instanceof Long l && l == 1;
        } catch (RedisUnavailableException e) {
            LOG.warn("Request {} not sent: {}", id, e.getMessage());
            return false;
        }
    }

    @Override
    public void complete(ReceivedMessage response) {
        String tooLarge = node.streams.tooLarge(response.streams().values(), "the response");
        if (tooLarge != null) {
            response.discardStreams();
            end("REFUSED", tooLarge + "; the request ran");
            return;
        }
        StreamDescriptors stored;
        try {
            stored = node.streams.upload(response.streams().values(), node.settings.streamExpiry());
        } catch (RedisUnavailableException e) {
            response.discardStreams();
            LOG.warn("The response to request {} was lost: {}", id, e.getMessage());
            return;
        } catch (IOException e) {
            response.discardStreams();
            end("CONNECTION_LOST", "the response's streams could not be passed on: " + e.getMessage() + "; the request ran");
            return;
        }
        try {
            Object r = node.script("storing the response to request " + id, Script.COMPLETE, id, List.of(),
                    node.nodeId(), bson(response), stored.encode());
            if (!(r instanceof Long l && l == 1)) {
                node.streams.delete(stored); // the caller gave up meanwhile
            }
        } catch (RedisUnavailableException e) {
            node.streams.delete(stored);
            LOG.warn("The response to request {} was lost: {}", id, e.getMessage());
        }
    }

    private static byte[] bson(ReceivedMessage response) {
        return response.bson();
    }

    @Override
    public void fail(String reason) {
        end("CONNECTION_LOST", reason + "; it may have run");
    }

    private void end(String outcome, String message) {
        try {
            node.script("failing request " + id, Script.FAIL, id, List.of(), node.nodeId(), outcome, message);
        } catch (RedisUnavailableException e) {
            LOG.warn("Could not record the failure of request {} ({}): {}", id, message, e.getMessage());
        }
    }

    @Override
    public void putBack() {
        putBack("0");
    }

    @Override
    public void putBackUnread(String reason) {
        putBack("1");
    }

    private void putBack(String unread) {
        try {
            node.script("putting request " + id + " back", Script.PUT_BACK, id, Node.keys(queueKey), node.nodeId(), unread);
        } catch (RedisUnavailableException e) {
            LOG.warn("Could not put request {} back: {}; its caller will see it taken and requeue it after the node timeout",
                    id, e.getMessage());
        }
    }
}
