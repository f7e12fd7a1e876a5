package dev.halibut.polling;

import dev.halibut.Thumbprints;
import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pending-request queue of one listener node, in memory. Each subscription has one lock; every
 * state change of its requests happens under it, which is what makes "taken by exactly one
 * connection" and "never handed out after removal" hold.
 */
public final class InMemoryPendingRequestQueue implements PendingRequestQueue {

    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * The key of a subscription: its {@code poll://} authority, case-insensitive. The path is not part of
     * the subscription's identity.
     */
    static String key(URI subscription) {
        String authority = subscription.getAuthority();
        if (!"poll".equalsIgnoreCase(subscription.getScheme()) || authority == null) {
            throw new IllegalArgumentException(subscription + " is not a poll://subscription/ URI");
        }
        return authority.toLowerCase(Locale.ROOT);
    }

    private Subscription subscription(URI uri) {
        return subscriptions.computeIfAbsent(key(uri), Subscription::new);
    }

    @Override
    public PendingCall enqueue(URI subscription, String expectedThumbprint, String requestId, EncodedMessage request,
                               Duration collectionTimeout) {
        Subscription s = subscription(subscription);
        Entry e = new Entry(s, Thumbprints.normalize(expectedThumbprint), requestId, request,
                System.nanoTime() + collectionTimeout.toNanos());
        Match m = null;
        s.lock.lock();
        try {
            if (closed) {
                e.finish(null, new PollingException(PollingException.Reason.CLOSED, "the runtime is closed"));
            } else {
                s.queue.addLast(e);
                s.live.add(e);
                s.requestsAvailable.signalAll();
                m = s.matchLocked(); // in the same hold: a queued request meets a waiting taker with one lock
            }
        } finally {
            s.lock.unlock();
        }
        s.handOut(m);
        return e;
    }

    /**
     * Waits without a thread: the future is kept with the subscription and completed by the thread that queues
     * (or puts back) a request for its thumbprint, first come first served; the collection timeout of queued
     * requests is enforced when a taker looks (here, or a caller's {@code awaitResponse}).
     */
    @Override
    public CompletableFuture<CollectedRequest> takeAsync(URI subscription, String thumbprint, Executor blocking) {
        Subscription s = subscription(subscription);
        CompletableFuture<CollectedRequest> result = new CompletableFuture<>();
        Waiter w = new Waiter(Thumbprints.normalize(thumbprint), result);
        Match m;
        s.lock.lock();
        try {
            if (closed) {
                result.complete(null);
                return result;
            }
            s.waiters.addLast(w);
            m = s.matchLocked();
        } finally {
            s.lock.unlock();
        }
        // A taker that leaves is forgotten at once, not when the next request comes.
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                s.lock.lock();
                try {
                    s.waiters.remove(w);
                } finally {
                    s.lock.unlock();
                }
            }
        });
        s.handOut(m);
        return result;
    }

    @Override
    public CollectedRequest take(URI subscription, String thumbprint, Duration maxWait) throws InterruptedException {
        Subscription s = subscription(subscription);
        String tp = Thumbprints.normalize(thumbprint);
        long deadline = System.nanoTime() + maxWait.toNanos();
        s.lock.lockInterruptibly();
        try {
            while (!closed) {
                long now = System.nanoTime();
                for (Iterator<Entry> it = s.queue.iterator(); it.hasNext(); ) {
                    Entry e = it.next();
                    if (now - e.collectBy >= 0) {
                        it.remove();
                        e.notCollected();
                    } else if (e.expectedThumbprint.equals(tp)) {
                        it.remove();
                        e.state = State.TAKEN;
                        return e;
                    }
                }
                long left = deadline - now;
                if (left <= 0) {
                    return null;
                }
                s.requestsAvailable.awaitNanos(left);
            }
            return null;
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public int queuedCount(URI subscription) {
        Subscription s = subscriptions.get(key(subscription));
        if (s == null) {
            return 0;
        }
        s.lock.lock();
        try {
            return s.queue.size();
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        List<Waiter> waiting = new ArrayList<>();
        for (Subscription s : subscriptions.values()) {
            s.lock.lock();
            try {
                for (Entry e : new ArrayList<>(s.live)) {
                    e.finish(null, new PollingException(PollingException.Reason.CLOSED, "the runtime was closed"));
                }
                s.queue.clear();
                s.requestsAvailable.signalAll();
                waiting.addAll(s.waiters);
                s.waiters.clear();
            } finally {
                s.lock.unlock();
            }
        }
        waiting.forEach(w -> w.result.complete(null)); // outside the locks: takers run their next step
    }

    private enum State { QUEUED, TAKEN, SENT, DONE }

    /** How often a caller looks again at a request TAKEN after its collection time (see Entry.awaitResponse). */
    private static final long TAKEN_SLICE_NANOS = Duration.ofMillis(100).toNanos();

    /** A {@link #takeAsync} still waiting. */
    private record Waiter(String thumbprint, CompletableFuture<CollectedRequest> result) {
    }

    private static final class Subscription {
        final String key;
        /** Asynchronous takers, oldest first; guarded by lock. */
        final Deque<Waiter> waiters = new ArrayDeque<>();
        final ReentrantLock lock = new ReentrantLock();
        final Condition requestsAvailable = lock.newCondition();
        final Deque<Entry> queue = new ArrayDeque<>();
        /** Every request not yet done, queued or in flight, so close() can fail them all. */
        final Set<Entry> live = new HashSet<>();

        Subscription(String key) {
            this.key = key;
        }

        /**
         * Lock held. Matches the oldest queued request with the oldest waiting taker of its thumbprint, if any: the
         * request is TAKEN here (as by {@link #take}) and both leave their queues; the taker's future is completed by
         * {@link #handOut} outside the lock. Requests whose collection time has passed are removed on the way, and
         * takers that left are skipped (and forgotten).
         */
        Match matchLocked() {
            if (queue.isEmpty() || waiters.isEmpty()) {
                return null;
            }
            long now = System.nanoTime();
            for (Iterator<Entry> it = queue.iterator(); it.hasNext(); ) {
                Entry candidate = it.next();
                if (now - candidate.collectBy >= 0) {
                    it.remove();
                    candidate.notCollected();
                    continue;
                }
                for (Iterator<Waiter> wi = waiters.iterator(); wi.hasNext(); ) {
                    Waiter x = wi.next();
                    if (x.result.isDone()) {
                        wi.remove(); // left (cancelled) or closed: nothing to hand it
                    } else if (x.thumbprint.equals(candidate.expectedThumbprint)) {
                        it.remove();
                        wi.remove();
                        candidate.state = State.TAKEN;
                        return new Match(candidate, x);
                    }
                }
            }
            return null;
        }

        /**
         * Completes the taker of a match made under the lock (nothing if {@code m} is null), outside the lock: the
         * taker runs its next step on this thread. A request whose taker left meanwhile goes back to the head of the
         * queue, and from there to the next taker. One match per change is all there can be: every change that can
         * make a match (a request queued or put back, a taker added) looks for one in the same hold of the lock.
         */
        void handOut(Match m) {
            if (m != null && !m.taker.result.complete(m.request)) {
                m.request.putBack();
            }
        }
    }

    /** A queued request and the taker it goes to, matched under the lock. */
    private record Match(Entry request, Waiter taker) {
    }

    /** One request; guarded by its subscription's lock. */
    private static final class Entry implements PendingCall, CollectedRequest {
        final Subscription s;
        final String expectedThumbprint;
        final String requestId;
        final EncodedMessage request;
        final long collectBy;
        /**
         * The caller's thread once it waits in {@link #awaitResponse}; guarded by the lock. The changes that move its
         * deadline or end its wait unpark it directly ({@link #wakeCaller}): not a condition of the subscription's lock,
         * whose waiter must take that lock again to return (contended by every caller and event loop of the
         * subscription) and was woken at every step, the send included.
         */
        Thread waiter;
        /**
         * Written last, when the request is DONE: a caller that sees it reads the response or failure without the
         * lock (the volatile write publishes them).
         */
        volatile boolean done;
        State state = State.QUEUED;
        long sentAt;
        ReceivedMessage response;
        PollingException failure;

        Entry(Subscription s, String expectedThumbprint, String requestId, EncodedMessage request, long collectBy) {
            this.s = s;
            this.expectedThumbprint = expectedThumbprint;
            this.requestId = requestId;
            this.request = request;
            this.collectBy = collectBy;
        }

        @Override
        public String requestId() {
            return requestId;
        }

        @Override
        public EncodedMessage request() {
            return request;
        }

        /** Caller: wait for collection (bounded by collectBy), then for the response. */
        @Override
        public ReceivedMessage awaitResponse(Duration responseTimeout) throws PollingException, InterruptedException {
            long responseNanos = responseTimeout.toNanos();
            // A sent request may come back to the queue (put back unread), so the states are not one-way.
            while (!done) {
                long park;
                s.lock.lockInterruptibly();
                try {
                    if (state == State.DONE) {
                        break;
                    }
                    long now = System.nanoTime();
                    if (state == State.QUEUED || state == State.TAKEN) {
                        long left = collectBy - now;
                        if (left <= 0 && state == State.QUEUED) {
                            s.queue.remove(this);
                            notCollected();
                            break;
                        }
                        // TAKEN lasts one liveness check (bounded by the heartbeat timeout): wait it out in slices. A
                        // send does not wake this thread (it would, on every call): once sent, the response is due no
                        // earlier than now + responseTimeout, so waking then at the latest is soon enough.
                        park = Math.min(left > 0 ? left : TAKEN_SLICE_NANOS, responseNanos);
                    } else {
                        long left = sentAt + responseNanos - now;
                        if (left <= 0) {
                            finish(null, new PollingException(PollingException.Reason.NO_RESPONSE,
                                    "collected, but no response came within " + responseTimeout
                                            + " (responseTimeout); it may have run"));
                            break;
                        }
                        park = left;
                    }
                    waiter = Thread.currentThread();
                } finally {
                    s.lock.unlock();
                }
                // Registered under the lock before it was released: a change made since has unparked this thread
                // already, and the park returns at once.
                LockSupport.parkNanos(this, park);
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for the response to " + requestId);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return response;
        }

        /** Lock held: the caller's deadline moved or its wait ended. */
        private void wakeCaller() {
            Thread t = waiter;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        @Override
        public boolean cancel() {
            s.lock.lock();
            try {
                if (state == State.QUEUED) {
                    s.queue.remove(this);
                    finish(null, new PollingException(PollingException.Reason.CANCELLED, "cancelled while queued; it was never sent"));
                    return true;
                }
                return state == State.DONE && failure != null && failure.reason() == PollingException.Reason.CANCELLED;
            } finally {
                s.lock.unlock();
            }
        }

        /** Every step is a short change under the subscription's lock: a listener may take these on an event loop. */
        @Override
        public boolean nonBlocking() {
            return true;
        }

        @Override
        public boolean sending() {
            s.lock.lock();
            try {
                if (state != State.TAKEN) {
                    return false;
                }
                state = State.SENT;
                sentAt = System.nanoTime(); // the caller looks at it when it next wakes (see awaitResponse)
                return true;
            } finally {
                s.lock.unlock();
            }
        }

        @Override
        public void complete(ReceivedMessage received) {
            boolean delivered = false;
            Thread caller = null;
            s.lock.lock();
            try {
                if (state == State.SENT) {
                    finishWithoutWake(received, null);
                    delivered = true;
                    caller = waiter;
                }
            } finally {
                s.lock.unlock();
            }
            if (caller != null) {
                // After the unlock: woken while this thread still held the lock, a caller that queues its next request
                // at once found the lock taken, parked on it, and had to be woken a second time.
                LockSupport.unpark(caller);
            }
            if (!delivered) {
                received.discardStreams(); // the caller gave up: nobody will read them
            }
        }

        @Override
        public void fail(String reason) {
            s.lock.lock();
            try {
                if (state == State.SENT || state == State.TAKEN) {
                    finish(null, new PollingException(PollingException.Reason.CONNECTION_LOST, reason + "; it may have run"));
                }
            } finally {
                s.lock.unlock();
            }
        }

        @Override
        public void putBack() {
            putBackFrom(State.TAKEN);
        }

        @Override
        public void putBackUnread(String reason) {
            putBackFrom(State.SENT);
        }

        /**
         * Back to the head of the queue from TAKEN (or also from {@code also}), or not collected if its time has
         * passed.
         */
        private void putBackFrom(State also) {
            Match m = null;
            s.lock.lock();
            try {
                if (state != State.TAKEN && state != also) {
                    return;
                }
                if (System.nanoTime() - collectBy >= 0) {
                    notCollected();
                } else {
                    state = State.QUEUED;
                    s.queue.addFirst(this);
                    s.requestsAvailable.signalAll();
                    wakeCaller();
                    m = s.matchLocked();
                }
            } finally {
                s.lock.unlock();
            }
            s.handOut(m);
        }

        /** Lock held. */
        void notCollected() {
            finish(null, new PollingException(PollingException.Reason.NOT_COLLECTED,
                    "not collected: no polling service host presenting " + expectedThumbprint
                            + " took it within the collection timeout; it was removed and will never run"));
        }

        /** Lock held (or the entry was never shared). */
        void finish(ReceivedMessage bytes, PollingException f) {
            if (finishWithoutWake(bytes, f)) {
                wakeCaller();
            }
        }

        /** Lock held. As {@link #finish}, but the caller is left for the caller of this to wake; whether it finished. */
        boolean finishWithoutWake(ReceivedMessage bytes, PollingException f) {
            if (state == State.DONE) {
                return false;
            }
            state = State.DONE;
            response = bytes;
            failure = f;
            s.live.remove(this);
            done = true;
            return true;
        }
    }
}
