package dev.halibut.queue.redis;

import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.queue.redis.internal.RedisQueue;
import dev.halibut.EncodedMessage;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The polling pending-request queue shared by several listener nodes through one Redis server. Each node
 * (runtime) connects its own queue to the same Redis and hands it to its runtime:
 *
 * <pre>{@code
 * HalibutRuntime node = HalibutRuntime.builder().certificate(p12, pw)
 *         .pendingRequestQueue(RedisPendingRequestQueue.connect(URI.create("redis://redis.example:6379")))
 *         .build();
 * }</pre>
 *
 * Every node then sees one queue per subscription: a request queued by a caller on node A is collected by a
 * polling service host connected to node B, and its response returns to the caller on A. The rules of
 * {@link PendingRequestQueue} hold across the nodes: Redis scripts take each request at most once and check
 * its collection deadline, cancellation and expected thumbprint in the same atomic step.
 *
 * <p>Node failures: each node keeps a heartbeat in Redis (every {@link RedisQueueSettings#heartbeatInterval()},
 * dead after {@link RedisQueueSettings#nodeTimeout()}). Requests of a node whose heartbeat stopped are never
 * handed out or sent after that; a caller waiting on a request collected by a node that died fails within
 * {@code nodeTimeout + heartbeatInterval}. If Redis is unreachable or restarts, calls fail with a
 * {@code HalibutClientException} naming Redis (reason
 * {@link dev.halibut.polling.PollingException.Reason#QUEUE_UNAVAILABLE}) and work again once it is back.
 *
 * <p>Streams go through Redis in chunks ({@link RedisQueueSettings#streamChunkSize()}), at most
 * {@link RedisQueueSettings#maxStreamBytes()} per message; a response's streams stay readable for
 * {@link RedisQueueSettings#streamExpiry()} and until the queue closes.
 *
 * <p>Ownership: the runtime the queue is handed to closes it when the runtime closes; otherwise whoever
 * created it closes it. Closing withdraws this node's queued requests, fails its waiting calls, and ends its
 * threads and connections; {@code close()} may be called more than once. One Redis server (or a primary), not
 * Redis Cluster.
 */
public final class RedisPendingRequestQueue implements PendingRequestQueue {

    private final RedisQueue queue;

    private RedisPendingRequestQueue(RedisQueue queue) {
        this.queue = queue;
    }

    /**
     * Connects to Redis with the {@linkplain RedisQueueSettings#defaults() default settings}.
     *
     * @param redisUri {@code redis://[[user]:password@]host[:port][/db]}, or {@code rediss://...} for TLS
     * @throws IllegalArgumentException the URI is not a Redis URI. An unreachable Redis is not an error here:
     *                                  calls fail until it is reachable
     */
    public static RedisPendingRequestQueue connect(URI redisUri) {
        return connect(redisUri, RedisQueueSettings.defaults());
    }

    /**
     * Connects to Redis with {@code settings} (their password, if set, wins over the URI's; their
     * {@linkplain RedisQueueSettings#tls() TLS settings} apply to {@code rediss://}).
     *
     * @throws IllegalArgumentException the URI is not a Redis URI, TLS settings were given for a plain
     *                                  {@code redis://} URI, or a TLS trust or key store file cannot be read
     */
    public static RedisPendingRequestQueue connect(URI redisUri, RedisQueueSettings settings) {
        Objects.requireNonNull(redisUri, "redisUri");
        Objects.requireNonNull(settings, "settings");
        return new RedisPendingRequestQueue(new RedisQueue(redisUri, settings));
    }

    /** This node's id in Redis (random per queue object), as named in errors about a node that died. */
    public String nodeId() {
        return queue.nodeId();
    }

    @Override
    public PendingCall enqueue(URI subscription, String expectedThumbprint, String requestId, EncodedMessage request,
                               Duration collectionTimeout) {
        return queue.enqueue(subscription, expectedThumbprint, requestId, request, collectionTimeout);
    }

    @Override
    public CollectedRequest take(URI subscription, String thumbprint, Duration maxWait) throws InterruptedException {
        return queue.take(subscription, thumbprint, maxWait);
    }

    /**
     * Waits for the next request without holding a thread per taker. One thread per queue object
     * ({@code halibut-redis-<node>-takers}) waits on Redis for all of this node's takers, of every subscription: every
     * script that queues a request (or puts one back) pushes the queue's name onto the wake-up list of each live node
     * registered as waiting for it, and that thread pops its node's list. A taker's look at its queue is a short Redis
     * script on {@code blocking} (at most 8 at once per node) that registers the node as waiting, pops and takes the
     * next request in one atomic step (collection deadline, thumbprint and the caller node's heartbeat checked as by
     * {@link #take}), and hands it to the oldest waiting taker of that subscription and thumbprint; a request for a taker
     * that left meanwhile goes back to the head of the queue.
     *
     * <p>Redis unreachable: waiting takers complete with {@code null} (the listener ends their connections, and the
     * service hosts connect again); a taker that comes during the outage completes with {@code null} at the thread's
     * next attempt, about a second later, so service hosts reconnect about once a second until Redis answers, and are
     * served again from then on. {@link #close()} completes every waiting taker with {@code null} and ends the thread.
     *
     * @param blocking where the short collecting scripts run (the listener's worker threads); never held while waiting
     */
    @Override
    public CompletableFuture<CollectedRequest> takeAsync(URI subscription, String thumbprint, Executor blocking) {
        return queue.takeAsync(subscription, thumbprint, blocking);
    }

    /**
     * Requests queued by every node for a subscription.
     *
     * @throws IllegalStateException Redis is unreachable
     */
    @Override
    public int queuedCount(URI subscription) {
        return queue.queuedCount(subscription);
    }

    @Override
    public void close() {
        queue.close();
    }

    @Override
    public String toString() {
        return "RedisPendingRequestQueue[node " + queue.nodeId() + ", " + queue.description() + "]";
    }
}
