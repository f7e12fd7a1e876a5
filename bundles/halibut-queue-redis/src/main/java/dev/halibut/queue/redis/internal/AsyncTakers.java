package dev.halibut.queue.redis.internal;

import dev.halibut.polling.CollectedRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's asynchronous takers ({@code takeAsync}): futures waiting for a request of a queue (a subscription and
 * thumbprint), holding no thread while they wait. A taker's first look at its queue, and every look after a wake-up
 * ({@link TakerWakeups}), is a <em>drain</em>: a short task on the taker's executor that runs {@link Script#TAKE_NEXT}
 * (which also registers this node as waiting for the queue, so queueing there wakes it) and hands each request taken
 * to the oldest waiting taker of that queue, until the queue is empty or no taker waits. At most one drain per queue
 * runs at a time (so takers of one queue are served first come, first served) and at most {@code maxDrains} for the
 * node (so a Redis that hangs holds a bounded number of the listener's workers).
 *
 * <p>Store failures: a drain that cannot reach Redis (twice in a row) completes its queue's takers with
 * {@code null} and marks the store failing; while it fails, new takers wait without a drain, and
 * {@link TakerWakeups} completes them with {@code null} at its next failed attempt (about once a second), so a
 * service host reconnects about once a second during an outage rather than in a tight loop. When Redis answers
 * again every queue with takers is drained.
 */
final class AsyncTakers {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncTakers.class);
    /** Ids one TAKE_NEXT pops at most (expired or withdrawn ones, each ended) before it answers. */
    private static final int MAX_POPS = 100;
    /** Waiting sets one SWEEP_WAITING script handles. */
    private static final int SWEEP_BATCH = 200;

    private final Node node;
    private final int maxDrains;
    private final Object lock = new Object();
    /** By queue key (as a string, the form wake-ups name it in); guarded by lock. */
    private final Map<String, Waiting> queues = new HashMap<>();
    /** Queues whose drain waits for one of the maxDrains slots, oldest first; guarded by lock. */
    private final Deque<Waiting> ready = new ArrayDeque<>();
    /** Drains running now; guarded by lock. */
    private int running;
    /** Guarded by lock. */
    private boolean closed;
    private volatile boolean failing;

    AsyncTakers(Node node, int maxDrains) {
        this.node = node;
        this.maxDrains = maxDrains;
    }

    /** How long this node stays registered as a waiting taker without a sweep (three sweeps). */
    long registrationTtlMs() {
        return sweepInterval().toMillis() * 3;
    }

    /** How often {@link TakerWakeups} renews this node's registrations and drops those no taker used. */
    Duration sweepInterval() {
        return node.settings.nodeTimeout();
    }

    CompletableFuture<CollectedRequest> take(String sub, String tp, Executor blocking) {
        CompletableFuture<CollectedRequest> result = new CompletableFuture<>();
        Taker taker = new Taker(result, System.nanoTime());
        byte[] queueKey = node.keys.queue(sub, tp);
        Waiting w;
        List<Launch> start;
        synchronized (lock) {
            if (closed) {
                result.complete(null);
                return result;
            }
            w = queues.computeIfAbsent(Keys.s(queueKey), k -> new Waiting(sub, tp, queueKey, node.keys.waiting(sub, tp)));
            w.takers.addLast(taker);
            w.executor = blocking;
            w.usedSinceSweep = true;
            // While Redis fails, no drain: the wake-up thread ends this taker at its next failed attempt.
            start = failing ? List.of() : scheduleLocked(w);
        }
        // A taker that leaves is forgotten at once, not at the next request.
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                synchronized (lock) {
                    w.takers.remove(taker);
                }
            }
        });
        launchAll(start);
        return result;
    }

    /** Wake-ups from Redis: the queues named got a request. */
    void wake(Collection<String> queueKeys) {
        List<Launch> start = new ArrayList<>();
        synchronized (lock) {
            for (String k : queueKeys) {
                Waiting w = queues.get(k);
                if (w != null && !w.takers.isEmpty()) {
                    start.addAll(scheduleLocked(w));
                }
            }
        }
        launchAll(start);
    }

    boolean failing() {
        return failing;
    }

    /**
     * Redis could not be reached by an attempt that began at {@code attemptStartNanos}: the takers that were
     * waiting by then end with {@code null} (their service hosts connect again), and takers that come meanwhile
     * wait for the next attempt.
     */
    void storeFailed(long attemptStartNanos) {
        failing = true;
        List<Taker> ended = new ArrayList<>();
        synchronized (lock) {
            for (Waiting w : queues.values()) {
                w.takers.removeIf(t -> {
                    if (t.since - attemptStartNanos < 0) {
                        ended.add(t);
                        return true;
                    }
                    return false;
                });
            }
        }
        ended.forEach(t -> t.result.complete(null));
    }

    /** Redis answers again: every queue with waiting takers is drained (which registers this node again). */
    void storeReachable() {
        if (!failing) {
            return;
        }
        failing = false;
        List<Launch> start = new ArrayList<>();
        synchronized (lock) {
            for (Waiting w : queues.values()) {
                if (!w.takers.isEmpty()) {
                    start.addAll(scheduleLocked(w));
                }
            }
        }
        launchAll(start);
    }

    /**
     * Renews this node's registration for every queue that had takers since the last sweep and leaves the others;
     * queues that hold requests although takers wait here are drained (a lost wake-up only delays them).
     */
    void sweep() throws RedisUnavailableException {
        List<Waiting> all;
        synchronized (lock) {
            all = new ArrayList<>(queues.values());
            for (Waiting w : all) {
                w.keep = w.usedSinceSweep || !w.takers.isEmpty() || w.scheduled;
                w.usedSinceSweep = !w.takers.isEmpty();
            }
        }
        List<Waiting> toDrain = new ArrayList<>();
        for (int from = 0; from < all.size(); from += SWEEP_BATCH) {
            List<Waiting> batch = all.subList(from, Math.min(all.size(), from + SWEEP_BATCH));
            List<Object> args = new ArrayList<>(2 + batch.size() * 3);
            args.add(node.nodeId());
            args.add(registrationTtlMs());
            for (Waiting w : batch) {
                args.add(w.waitingKey);
                args.add(w.queueKey);
                args.add(w.keep ? "1" : "0");
            }
            List<?> nonEmpty = (List<?>) node.queueScript("renewing the registrations of waiting polling takers",
                    Script.SWEEP_WAITING, List.of(), args.toArray());
            for (int i = 0; i < batch.size(); i++) {
                if (nonEmpty.get(i) instanceof Long l && l == 1) {
                    toDrain.add(batch.get(i));
                }
            }
        }
        List<Launch> start = new ArrayList<>();
        synchronized (lock) {
            for (Waiting w : all) {
                if (!w.keep) {
                    if (w.takers.isEmpty() && !w.usedSinceSweep && !w.scheduled) {
                        queues.remove(Keys.s(w.queueKey));
                    } else {
                        start.addAll(scheduleLocked(w)); // a taker came while it left: register again
                    }
                }
            }
            for (Waiting w : toDrain) {
                if (!w.takers.isEmpty()) {
                    start.addAll(scheduleLocked(w));
                }
            }
        }
        launchAll(start);
    }

    /** The queue's wake-ups must be looked at: starts its drain, or asks the running one to look again. */
    private List<Launch> scheduleLocked(Waiting w) {
        w.again = true;
        if (!w.scheduled) {
            w.scheduled = true;
            ready.addLast(w);
        }
        return startLocked();
    }

    /** Takes queued drains while slots are free; {@link #launchAll} must start them, outside the lock. */
    private List<Launch> startLocked() {
        List<Launch> start = new ArrayList<>();
        while (running < maxDrains && !ready.isEmpty()) {
            Waiting w = ready.pollFirst();
            running++;
            start.add(new Launch(w, w.executor));
        }
        return start;
    }

    /** Starts drains on their executors; a loop, not a recursion, over the drains that follow a refused one. */
    private void launchAll(List<Launch> launches) {
        Deque<Launch> todo = new ArrayDeque<>(launches);
        while (!todo.isEmpty()) {
            Launch l = todo.pollFirst();
            try {
                l.executor().execute(() -> drain(l.queue()));
            } catch (RejectedExecutionException e) {
                // The listener's workers are shutting down: these takers cannot be served any more.
                endDrain(l.queue()).forEach(t -> t.result.complete(null));
                synchronized (lock) {
                    running--;
                    todo.addAll(startLocked());
                    lock.notifyAll();
                }
            }
        }
    }

    private void drainEnded() {
        List<Launch> start;
        synchronized (lock) {
            running--;
            start = startLocked();
            lock.notifyAll();
        }
        launchAll(start);
    }

    private void drain(Waiting w) {
        try {
            boolean retried = false;
            while (true) {
                synchronized (lock) {
                    w.takers.removeIf(t -> t.result.isDone());
                    if (closed || failing || w.takers.isEmpty() || !w.again) {
                        w.scheduled = false;
                        return;
                    }
                    w.again = false;
                }
                try {
                    List<?> r = (List<?>) node.queueScript("collecting a request for poll://" + w.sub + "/",
                            Script.TAKE_NEXT, List.of(w.queueKey, w.waitingKey), w.tp, node.nodeId(),
                            node.heartbeat.generation(), registrationTtlMs(), MAX_POPS);
                    retried = false;
                    String answer = Keys.s((byte[]) r.get(0));
                    switch (answer) {
                        case "OK" -> {
                            String id = Keys.s((byte[]) r.get(1));
                            RedisCollectedRequest taken = RedisCollectedRequest.of(node, id, w.queueKey,
                                    (byte[]) r.get(2), Keys.s((byte[]) r.get(3)));
                            if (taken != null) {
                                handOut(w, taken);
                            }
                            markAgain(w); // there may be more, and more takers
                        }
                        case "MORE" -> markAgain(w);
                        case "NODE" -> {
                            node.heartbeat.beat(); // this node's heartbeat lapsed (Redis restarted or was away)
                            markAgain(w);
                        }
                        default -> {
                            // EMPTY: this node is registered, so the next request queued there wakes it
                        }
                    }
                } catch (RedisUnavailableException e) {
                    if (!retried && !isClosed()) {
                        retried = true; // a stale pooled connection after a Redis restart: once more on a fresh one
                        markAgain(w);
                        continue;
                    }
                    failed(w, e);
                    return;
                }
            }
        } catch (RuntimeException e) {
            List<Taker> ended = endDrain(w);
            LOG.error("Redis queue node {}: collecting for poll://{}/ failed", node.nodeId(), w.sub, e);
            ended.forEach(t -> t.result.completeExceptionally(e));
        } finally {
            drainEnded();
        }
    }

    private void markAgain(Waiting w) {
        synchronized (lock) {
            w.again = true;
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Gives {@code taken} to the oldest taker still waiting; puts it back if none is. */
    private void handOut(Waiting w, RedisCollectedRequest taken) {
        while (true) {
            Taker t;
            synchronized (lock) {
                t = w.takers.pollFirst();
            }
            if (t == null) {
                taken.putBack(); // every taker left (or the queue closed) meanwhile: back to the head of the queue
                return;
            }
            if (t.result.complete(taken)) {
                return;
            }
        }
    }

    /** The queue's drain ends without serving its takers: they are removed and returned, to be completed. */
    private List<Taker> endDrain(Waiting w) {
        synchronized (lock) {
            List<Taker> ended = new ArrayList<>(w.takers);
            w.takers.clear();
            w.scheduled = false;
            return ended;
        }
    }

    private void failed(Waiting w, RedisUnavailableException e) {
        List<Taker> ended = endDrain(w);
        if (isClosed()) {
            return; // close() ended them
        }
        if (!failing) {
            LOG.warn("Redis queue node {}: cannot collect requests for poll://{}/: {}; its waiting service hosts are"
                    + " told to connect again", node.nodeId(), w.sub, e.getMessage());
        }
        failing = true;
        ended.forEach(t -> t.result.complete(null));
    }

    /**
     * Ends every waiting taker with {@code null} and waits (at most {@code bound}) for running drains to end: a
     * request a drain takes from now on goes back to its queue.
     */
    void close(Duration bound) {
        List<Taker> ended = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            for (Waiting w : queues.values()) {
                ended.addAll(w.takers);
                w.takers.clear();
            }
            ready.clear();
        }
        ended.forEach(t -> t.result.complete(null));
        long deadline = System.nanoTime() + bound.toNanos();
        synchronized (lock) {
            while (running > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("Redis queue node {}: {} collecting task(s) still running at close", node.nodeId(), running);
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private record Taker(CompletableFuture<CollectedRequest> result, long since) {
    }

    /** A drain to start: its queue and where it runs. */
    private record Launch(Waiting queue, Executor executor) {
    }

    /** One queue (subscription and thumbprint) that takers of this node wait for. Fields guarded by the lock. */
    private static final class Waiting {
        final String sub;
        final String tp;
        final byte[] queueKey;
        final byte[] waitingKey;
        final Deque<Taker> takers = new ArrayDeque<>();
        /** Where drains run: the latest taker's executor (the listener's workers). */
        Executor executor;
        /** A drain is running or waits for a slot. */
        boolean scheduled;
        /** The running drain must look at the queue once more. */
        boolean again;
        /** A taker came since the last sweep: stay registered. */
        boolean usedSinceSweep;
        /** The current sweep's decision. */
        boolean keep;

        Waiting(String sub, String tp, byte[] queueKey, byte[] waitingKey) {
            this.sub = sub;
            this.tp = tp;
            this.queueKey = queueKey;
            this.waitingKey = waitingKey;
        }
    }
}
