package dev.halibut.queue.redis.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that waits for work on behalf of all of this node's asynchronous takers ({@link AsyncTakers}), of
 * every subscription: it pops this node's wake-up list ({@code k:<node>}, where every script that queues a request
 * pushes the queue's key for each node registered as waiting for it) with a blocking pop of at most
 * {@link RedisStore#MAX_BLOCK}, and has the named queues drained. Every {@link AsyncTakers#sweepInterval()} it renews
 * the node's registrations. When Redis cannot be reached it ends the waiting takers with {@code null} and tries again
 * every {@link RedisStore#MAX_BLOCK}; when Redis answers again it has every queue with takers drained.
 *
 * <p>Why a wake-up list and not Redis pub/sub or keyspace notifications: a list keeps a wake-up that arrives while
 * the thread is between pops (pub/sub drops it), needs no server configuration ({@code notify-keyspace-events} is
 * often not allowed on a managed Redis), and one blocking pop on one key costs Redis the same whether 1 or 10,000
 * takers wait (a blocking pop over every queue's key would cost a registration per key on every pop).
 */
final class TakerWakeups implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TakerWakeups.class);
    /** Wake-ups taken from the list in one go after the first. */
    private static final int BATCH = 1000;

    private final Node node;
    private final AsyncTakers takers;
    private final byte[] key;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;

    TakerWakeups(Node node, AsyncTakers takers) {
        this.node = node;
        this.takers = takers;
        this.key = node.keys.wakeups(node.nodeId());
        this.thread = new Thread(this::run, "halibut-redis-" + node.nodeId() + "-takers");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        boolean failing = false;
        boolean retriedAtOnce = false;
        long sweepNanos = takers.sweepInterval().toNanos();
        long nextSweep = System.nanoTime() + sweepNanos;
        while (closed.getCount() > 0) {
            long attemptStart = System.nanoTime();
            try {
                List<byte[]> woken = node.store.popAll("waiting for requests for polling service hosts", key, BATCH);
                retriedAtOnce = false;
                if (failing || takers.failing()) {
                    if (failing) {
                        LOG.info("Redis queue node {}: {} is reachable again; waiting service hosts are served",
                                node.nodeId(), node.store.description());
                    }
                    failing = false;
                    takers.storeReachable();
                }
                Set<String> queues = new LinkedHashSet<>();
                for (byte[] q : woken) {
                    queues.add(Keys.s(q));
                }
                takers.wake(queues);
                if (System.nanoTime() - nextSweep >= 0) {
                    takers.sweep();
                    nextSweep = System.nanoTime() + sweepNanos;
                }
            } catch (RedisUnavailableException e) {
                if (closed.getCount() == 0) {
                    return;
                }
                if (!retriedAtOnce) {
                    retriedAtOnce = true; // a stale pooled connection after a Redis restart: try a fresh one now
                    continue;
                }
                if (!failing) {
                    failing = true;
                    LOG.warn("Redis queue node {}: cannot wait for requests: {}; waiting service hosts are told to"
                            + " connect again until Redis answers", node.nodeId(), e.getMessage());
                }
                takers.storeFailed(attemptStart);
                if (pauseUntilClosed()) {
                    return;
                }
            } catch (RuntimeException e) {
                // A bug, not Redis: log it and keep serving rather than leave every taker waiting for good.
                LOG.error("Redis queue node {}: waiting for requests failed", node.nodeId(), e);
                takers.storeFailed(attemptStart);
                if (pauseUntilClosed()) {
                    return;
                }
            }
        }
    }

    /** Waits {@link RedisStore#MAX_BLOCK} before the next attempt; true if the queue closed meanwhile. */
    private boolean pauseUntilClosed() {
        try {
            return closed.await(RedisStore.MAX_BLOCK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            return true; // nothing of the queue interrupts this thread: whoever does wants it ended
        }
    }

    /** Ends the thread: its blocking pop is woken at once (or ends by itself within {@link RedisStore#MAX_BLOCK}). */
    @Override
    public void close() {
        closed.countDown();
        node.store.wakePop("waking the waiting-takers thread", key); // an empty entry: it names no queue
        try {
            thread.join(RedisStore.MAX_BLOCK.toMillis() + node.settings.commandTimeout().toMillis() * 2 + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
