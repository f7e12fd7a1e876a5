package dev.halibut.queue.redis.internal;

import dev.halibut.Thumbprints;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PollingException;
import dev.halibut.polling.PollingException.Reason;
import dev.halibut.queue.redis.RedisQueueSettings;
import dev.halibut.EncodedMessage;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.util.KeyValue;

/** The Redis queue of one node; {@code RedisPendingRequestQueue} is its public face. */
public final class RedisQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisQueue.class);
    /** The most asynchronous takers' drains (short Redis scripts on the listener's workers) running at once. */
    private static final int MAX_DRAINS = 8;

    private final Node node;
    /** This node's calls still waiting, so close() can withdraw them. */
    private final Map<String, RedisPendingCall> live = new ConcurrentHashMap<>();
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private final AsyncTakers asyncTakers;
    private final TakerWakeups takerWakeups;
    private volatile boolean takeFailing;

    public RedisQueue(URI uri, RedisQueueSettings settings) {
        RedisStore store = new RedisStore(uri, settings);
        this.node = new Node(store, settings);
        // A drain holds a Redis connection for one script at a time; leave most of the pool to calls and streams.
        this.asyncTakers = new AsyncTakers(node, Math.max(1, Math.min(MAX_DRAINS, settings.maxConnections() / 4)));
        this.takerWakeups = new TakerWakeups(node, asyncTakers);
        node.heartbeat.start();
        node.inbox.start();
        takerWakeups.start();
        LOG.info("Redis queue node {} uses {} (keys under '{}')", node.nodeId(), store.description(), settings.keyPrefix());
    }

    public String nodeId() {
        return node.nodeId();
    }

    public String description() {
        return node.store.description();
    }

    /** The key of a subscription: its {@code poll://} authority, case-insensitive (as in the in-memory queue). */
    static String subscriptionKey(URI subscription) {
        String authority = subscription.getAuthority();
        if (!"poll".equalsIgnoreCase(subscription.getScheme()) || authority == null) {
            throw new IllegalArgumentException(subscription + " is not a poll://subscription/ URI");
        }
        return authority.toLowerCase(Locale.ROOT);
    }

    public PendingCall enqueue(URI subscription, String expectedThumbprint, String requestId, EncodedMessage request,
                               Duration collectionTimeout) {
        String sub = subscriptionKey(subscription);
        String tp = Thumbprints.normalize(expectedThumbprint);
        if (node.closed) {
            return new RedisPendingCall(requestId, new PollingException(Reason.CLOSED, "the runtime is closed"));
        }
        String tooLarge = node.streams.tooLarge(request.streams(), "the request");
        if (tooLarge != null) {
            return new RedisPendingCall(requestId, new PollingException(Reason.REFUSED, tooLarge + "; it was never queued"));
        }
        byte[] queueKey = node.keys.queue(sub, tp);
        StreamDescriptors streams;
        try {
            streams = node.streams.upload(request.streams(), collectionTimeout.plus(node.settings.streamExpiry()));
        } catch (RedisUnavailableException e) {
            return new RedisPendingCall(requestId, new PollingException(Reason.QUEUE_UNAVAILABLE, e.getMessage()
                    + "; the request was never queued and will never run"));
        } catch (IOException e) {
            return new RedisPendingCall(requestId, new PollingException(Reason.REFUSED, "the request's streams could not be"
                    + " stored in " + node.store.description() + ": " + e.getMessage() + "; it was never queued"));
        }
        // Registered before the request is visible: a fast collector may end it before enqueue returns.
        Semaphore wake = node.inbox.register(requestId);
        RedisPendingCall call = new RedisPendingCall(node, requestId, tp, queueKey, streams, wake, () -> {
            node.inbox.unregister(requestId);
            live.remove(requestId);
        }, collectionTimeout);
        live.put(requestId, call);
        long ttl = collectionTimeout.toMillis() + node.keepMs();
        try {
            String result;
            try {
                result = store(requestId, sub, tp, queueKey, request.bson(), streams, collectionTimeout, ttl);
            } catch (RedisUnavailableException first) {
                // Once more on a fresh connection (a stale pooled one after a Redis restart fails once). If the
                // first attempt did run and only its answer was lost, this one says DUPLICATE: it is stored.
                result = store(requestId, sub, tp, queueKey, request.bson(), streams, collectionTimeout, ttl);
                if ("DUPLICATE".equals(result)) {
                    return call;
                }
            }
            if ("NODE".equals(result)) {
                node.heartbeat.beat(); // Redis lost our heartbeat (restarted): announce a new generation, then retry
                result = store(requestId, sub, tp, queueKey, request.bson(), streams, collectionTimeout, ttl);
            }
            if (!"OK".equals(result)) {
                String why = "DUPLICATE".equals(result) ? "a request with id " + requestId + " is queued already"
                        : "this node's heartbeat is not in " + node.store.description() + " (" + result + ")";
                return refuse(requestId, streams, new PollingException(Reason.REFUSED, why + "; it was never queued"));
            }
            return call;
        } catch (RedisUnavailableException e) {
            // Whether Redis stored it is unknown (a command that timed out may still run): the call looks at
            // the request until Redis answers or this node's heartbeat has expired, and says then.
            LOG.debug("Queueing request {} failed: {}", requestId, e.getMessage());
            return call;
        }
    }

    private PendingCall refuse(String requestId, StreamDescriptors streams, PollingException failure) {
        node.inbox.unregister(requestId);
        live.remove(requestId);
        node.streams.delete(streams);
        return new RedisPendingCall(requestId, failure);
    }

    private String store(String id, String sub, String tp, byte[] queueKey, byte[] bson, StreamDescriptors streams,
                         Duration collectionTimeout, long ttl) throws RedisUnavailableException {
        Object r = node.script("queueing request " + id, Script.ENQUEUE, id,
                Node.keys(queueKey, node.keys.node(node.nodeId()), node.keys.thumbprints(sub), node.keys.requestBytes(id)),
                sub, tp, node.nodeId(), node.heartbeat.generation(), collectionTimeout.toMillis(), ttl, bson, streams.encode());
        return r instanceof byte[] b ? Keys.s(b) : String.valueOf(r);
    }

    public CollectedRequest take(URI subscription, String thumbprint, Duration maxWait) throws InterruptedException {
        String sub = subscriptionKey(subscription);
        String tp = Thumbprints.normalize(thumbprint);
        byte[] queueKey = node.keys.queue(sub, tp);
        long deadline = System.nanoTime() + maxWait.toNanos();
        boolean retriedAtOnce = false;
        while (!node.closed) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                return null;
            }
            // At least 10 ms: Redis reads a timeout that rounds to 0 as "block forever".
            double block = Math.max(10, Math.min(leftMs, RedisStore.MAX_BLOCK.toMillis())) / 1000.0;
            try {
                KeyValue<byte[], byte[]> popped = node.store.run("waiting for requests of poll://" + sub + "/",
                        jedis -> jedis.blpop(block, queueKey));
                if (takeFailing) {
                    takeFailing = false;
                    LOG.info("Redis queue node {}: {} is reachable again", node.nodeId(), node.store.description());
                }
                if (popped == null) {
                    continue;
                }
                String id = Keys.s(popped.getValue());
                List<?> r = (List<?>) node.script("collecting request " + id, Script.CLAIM, id, Node.keys(queueKey), tp,
                        node.nodeId(), node.heartbeat.generation());
                String claim = Keys.s((byte[]) r.get(0));
                if ("NODE".equals(claim)) {
                    node.heartbeat.beat(); // this node's heartbeat lapsed (Redis restarted or was away): re-announce
                    continue;
                }
                if ("OK".equals(claim)) {
                    RedisCollectedRequest taken = RedisCollectedRequest.of(node, id, queueKey, (byte[]) r.get(1),
                            Keys.s((byte[]) r.get(2)));
                    if (taken != null) {
                        return taken;
                    }
                }
            } catch (RedisUnavailableException e) {
                if (node.closed) {
                    return null;
                }
                if (!retriedAtOnce) {
                    retriedAtOnce = true; // a stale pooled connection after a Redis restart: try a fresh one now
                    continue;
                }
                if (!takeFailing) {
                    takeFailing = true;
                    LOG.warn("Redis queue node {}: cannot collect requests for poll://{}/: {}", node.nodeId(), sub, e.getMessage());
                }
                closedLatch.await(Math.min(leftMs, RedisStore.MAX_BLOCK.toMillis()), TimeUnit.MILLISECONDS);
            }
        }
        return null;
    }

    /**
     * Waits for the next request without a thread: see {@link AsyncTakers} (takers and their drains on
     * {@code blocking}) and {@link TakerWakeups} (the one thread that waits on Redis for all of them).
     */
    public CompletableFuture<CollectedRequest> takeAsync(URI subscription, String thumbprint, Executor blocking) {
        Objects.requireNonNull(blocking, "blocking");
        String sub = subscriptionKey(subscription);
        String tp = Thumbprints.normalize(thumbprint);
        if (node.closed) {
            return CompletableFuture.completedFuture(null);
        }
        return asyncTakers.take(sub, tp, blocking);
    }

    public int queuedCount(URI subscription) {
        String sub = subscriptionKey(subscription);
        try {
            return node.store.run("counting queued requests of poll://" + sub + "/", jedis -> {
                long total = 0;
                Set<byte[]> tps = jedis.smembers(node.keys.thumbprints(sub));
                for (byte[] tp : tps) {
                    total += jedis.llen(node.keys.queue(sub, Keys.s(tp)));
                }
                return (int) Math.min(Integer.MAX_VALUE, total);
            });
        } catch (RedisUnavailableException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (node.closed) {
            return;
        }
        // Withdraw what this node's callers still have queued, then leave: other nodes drop the rest at once.
        for (RedisPendingCall call : List.copyOf(live.values())) {
            call.cancel();
        }
        node.closed = true;
        closedLatch.countDown();
        // Before the heartbeat goes: a request a drain takes meanwhile is put back, not left to look collected.
        asyncTakers.close(node.settings.commandTimeout().multipliedBy(2));
        takerWakeups.close();
        node.heartbeat.close();
        node.inbox.close();
        node.store.close();
        LOG.info("Redis queue node {} closed", node.nodeId());
    }
}
