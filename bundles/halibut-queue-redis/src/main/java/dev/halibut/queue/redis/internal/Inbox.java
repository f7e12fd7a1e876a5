package dev.halibut.queue.redis.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes this node's waiting callers: every script that ends a request pushes its id to the inbox of the
 * request's node, and one thread per node pops them and releases the waiter. Waiters also look at their
 * request every heartbeat interval, so a lost wake-up (Redis restarted) only delays, never loses, an end.
 */
public final class Inbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Inbox.class);

    private final RedisStore store;
    private final byte[] key;
    private final Map<String, Semaphore> waiters = new ConcurrentHashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;

    public Inbox(RedisStore store, Keys keys, String nodeId) {
        this.store = store;
        this.key = keys.inbox(nodeId);
        this.thread = new Thread(this::run, "halibut-redis-" + nodeId + "-inbox");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Registers a waiter for request {@code id}; released when the request's end is announced. */
    public Semaphore register(String id) {
        Semaphore s = new Semaphore(0);
        waiters.put(id, s);
        return s;
    }

    public void unregister(String id) {
        waiters.remove(id);
    }

    /** Wakes every waiter (the queue is closing). */
    public void wakeAll() {
        waiters.values().forEach(Semaphore::release);
    }

    private void run() {
        boolean failing = false;
        while (closed.getCount() > 0) {
            try {
                List<byte[]> ids = store.popAll("waiting for ended requests", key, 1000);
                failing = false;
                for (byte[] id : ids) {
                    Semaphore s = waiters.get(Keys.s(id));
                    if (s != null) {
                        s.release();
                    }
                }
            } catch (RedisUnavailableException e) {
                if (closed.getCount() == 0) {
                    return;
                }
                if (!failing) {
                    failing = true;
                    LOG.warn("Redis queue inbox: {}; waiting callers look at their requests themselves meanwhile", e.getMessage());
                }
                try {
                    if (closed.await(RedisStore.MAX_BLOCK.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed.countDown();
        wakeAll();
        store.wakePop("waking the inbox thread", key); // an empty id: no waiter has it
        try {
            thread.join(RedisStore.MAX_BLOCK.toMillis() + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
