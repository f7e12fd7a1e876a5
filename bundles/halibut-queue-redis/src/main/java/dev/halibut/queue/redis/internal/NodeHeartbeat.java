package dev.halibut.queue.redis.internal;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.params.SetParams;

/**
 * This node's presence in Redis: a key holding the node's heartbeat generation that expires after the node
 * timeout unless refreshed every heartbeat interval. Requests carry the generation of the node that queued or
 * took them; when the key is gone (the node died, or lost Redis for longer than the node timeout) or holds a
 * newer generation, those requests are treated as abandoned. A node that finds its key gone starts a new
 * generation, so requests of the lapsed one never come back to life.
 */
public final class NodeHeartbeat implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeHeartbeat.class);

    private final RedisStore store;
    private final byte[] key;
    private final String nodeId;
    private final Duration interval;
    private final long timeoutMs;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private volatile long generation = 1;
    /** When a heartbeat last reached Redis (System.nanoTime); before the first, long enough ago to count as lapsed. */
    private volatile long lastBeatNanos;
    private volatile boolean failing;
    /** Whether a generation has been announced: finding the key gone after that means it lapsed. */
    private boolean announced;

    public NodeHeartbeat(RedisStore store, Keys keys, Duration interval, Duration nodeTimeout) {
        byte[] random = new byte[8];
        new SecureRandom().nextBytes(random);
        this.nodeId = HexFormat.of().formatHex(random);
        this.store = store;
        this.key = keys.node(nodeId);
        this.interval = interval;
        this.timeoutMs = nodeTimeout.toMillis();
        this.lastBeatNanos = System.nanoTime() - nodeTimeout.toNanos() - interval.toNanos();
        this.thread = new Thread(this::run, "halibut-redis-" + nodeId + "-heartbeat");
        this.thread.setDaemon(true);
    }

    public String nodeId() {
        return nodeId;
    }

    public String generation() {
        return Long.toString(generation);
    }

    /** Beats once now, then every interval on its own thread. */
    public void start() {
        try {
            beat();
        } catch (RedisUnavailableException e) {
            LOG.warn("Redis queue node {}: cannot announce itself yet ({}); calls through it fail until Redis is reachable",
                    nodeId, e.getMessage());
            failing = true;
        }
        thread.start();
    }

    /**
     * Whether this node's heartbeat key has expired in Redis by now: more than the node timeout (and one interval
     * of margin) has passed since a heartbeat was last answered. From then on no request this node queued under
     * that generation can be collected or sent by any node, even if Redis is unreachable from here only. (A
     * refresh that timed out here cannot extend the key once it expired, as it only sets an existing key; one
     * that Redis ran while its answer was lost on the way back could, which this does not cover.)
     */
    public boolean certainlyLapsed() {
        return System.nanoTime() - lastBeatNanos - timeoutMs * 1_000_000L - interval.toNanos() > 0;
    }

    /** Refreshes the heartbeat, starting a new generation if the old one lapsed. */
    public synchronized void beat() throws RedisUnavailableException {
        store.run("refreshing the heartbeat of node " + nodeId, jedis -> {
            String g = Long.toString(generation);
            if (jedis.set(key, Keys.b(g), SetParams.setParams().px(timeoutMs).xx()) == null) {
                if (announced) {
                    generation++;
                    LOG.warn("Redis queue node {}: its heartbeat had lapsed (Redis restarted or was unreachable for"
                            + " longer than the node timeout); requests it had queued are withdrawn", nodeId);
                }
                jedis.set(key, Keys.b(Long.toString(generation)), SetParams.setParams().px(timeoutMs));
                announced = true;
            }
            return null;
        });
        // Redis set the expiry before its answer arrived: the key lives at most the node timeout from now.
        lastBeatNanos = System.nanoTime();
    }

    private void run() {
        try {
            while (!closed.await(interval.toMillis(), TimeUnit.MILLISECONDS)) {
                try {
                    beat();
                    if (failing) {
                        failing = false;
                        LOG.info("Redis queue node {}: Redis is reachable again (heartbeat generation {})", nodeId, generation);
                    }
                } catch (RedisUnavailableException e) {
                    if (!failing) {
                        failing = true;
                        LOG.warn("Redis queue node {}: heartbeat failed: {}", nodeId, e.getMessage());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops beating and removes the key, so other nodes treat this node's requests as abandoned at once. */
    @Override
    public void close() {
        closed.countDown();
        try {
            thread.join(interval.toMillis() + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            store.run("removing the heartbeat of node " + nodeId, jedis -> jedis.del(key));
        } catch (RedisUnavailableException e) {
            LOG.debug("Redis queue node {}: heartbeat key not removed ({}); it expires by itself", nodeId, e.getMessage());
        }
    }
}
