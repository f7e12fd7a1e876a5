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
        s.lock.lock();
        try {
            if (closed) {
                e.finish(null, new PollingException(PollingException.Reason.CLOSED, "the runtime is closed"));
            } else {
                s.queue.addLast(e);
                s.live.add(e);
                s.requestsAvailable.signalAll();
            }
        } finally {
            s.lock.unlock();
        }
        s.handOut();
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
        s.lock.lock();
        try {
            if (closed) {
                result.complete(null);
                return result;
            }
            s.waiters.addLast(w);
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
        s.handOut();
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
         * Hands queued requests to waiting asynchronous takers: matched under the lock (the request is TAKEN
         * there, as by {@link #take}), completed outside it, and put back if the taker left meanwhile.
         */
        void handOut() {
            while (true) {
                Entry e = null;
                Waiter w = null;
                lock.lock();
                try {
                    long now = System.nanoTime();
                    waiters.removeIf(x -> x.result.isDone());
                    outer:
                    for (Iterator<Entry> it = queue.iterator(); it.hasNext(); ) {
                        Entry candidate = it.next();
                        if (now - candidate.collectBy >= 0) {
                            it.remove();
                            candidate.notCollected();
                            continue;
                        }
                        for (Waiter x : waiters) {
                            if (x.thumbprint.equals(candidate.expectedThumbprint)) {
                                it.remove();
                                waiters.remove(x);
                                candidate.state = State.TAKEN;
                                e = candidate;
                                w = x;
                                break outer;
                            }
                        }
                    }
                } finally {
                    lock.unlock();
                }
                if (e == null) {
                    return;
                }
                if (!w.result.complete(e)) {
                    e.putBack(); // the taker left between the match and now: the request goes back, to the head
                }
            }
        }
    }

    /** One request; guarded by its subscription's lock. */
    private static final class Entry implements PendingCall, CollectedRequest {
        final Subscription s;
        final String expectedThumbprint;
        final String requestId;
        final EncodedMessage request;
        final long collectBy;
        /**
         * Signalled when this request's state changes. One per request, not one per subscription: with many callers
         * waiting on one subscription, a shared condition woke every one of them at each step of any request.
         */
        final Condition changed;
        State state = State.QUEUED;
        long sentAt;
        ReceivedMessage response;
        /** Whether {@link #awaitResponse} returned the response: its streams are the caller's from then on. */
        boolean responseTaken;
        /**
         * Whether the caller gave up ({@link #cancel}) after a subscriber connection took the request: a response that
         * comes has nobody to read it, and a request put back is not handed out again.
         */
        boolean callerGone;
        /** Whether {@link #cancel} removed it from the queue before anyone took it (it never runs). */
        boolean withdrawn;
        /** What the caller waits for the response, once it waits ({@link #awaitResponse}). */
        volatile Duration callerResponseTimeout;
        PollingException failure;

        Entry(Subscription s, String expectedThumbprint, String requestId, EncodedMessage request, long collectBy) {
            this.s = s;
            this.expectedThumbprint = expectedThumbprint;
            this.requestId = requestId;
            this.request = request;
            this.collectBy = collectBy;
            this.changed = s.lock.newCondition();
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
            callerResponseTimeout = responseTimeout;
            s.lock.lockInterruptibly();
            try {
                // A sent request may come back to the queue (put back unread), so the states are not one-way.
                while (state != State.DONE) {
                    if (state == State.QUEUED || state == State.TAKEN) {
                        long left = collectBy - System.nanoTime();
                        if (left <= 0 && state == State.QUEUED) {
                            s.queue.remove(this);
                            notCollected();
                            break;
                        }
                        // TAKEN lasts one liveness check (bounded by the heartbeat timeout): wait it out.
                        changed.awaitNanos(left > 0 ? left : Duration.ofMillis(100).toNanos());
                    } else {
                        long left = sentAt + responseTimeout.toNanos() - System.nanoTime();
                        if (left <= 0) {
                            finish(null, new PollingException(PollingException.Reason.NO_RESPONSE,
                                    "collected, but no response came within " + responseTimeout
                                            + " (responseTimeout); it may have run"));
                            break;
                        }
                        changed.awaitNanos(left);
                    }
                }
                if (failure != null) {
                    throw failure;
                }
                if (responseTaken) {
                    throw new IllegalStateException("The response to request " + requestId + " was returned already");
                }
                // Not kept here: the taker's connection may still refer to this entry, and a response stream the
                // caller drops unread must be garbage-collectable (which closes the connection it holds).
                ReceivedMessage taken = response;
                response = null;
                responseTaken = true;
                return taken;
            } finally {
                s.lock.unlock();
            }
        }

        /**
         * Taken already: returns {@code false} (it may run), and remembers that the caller is gone, so that its
         * response's streams are discarded when it comes ({@link #complete}) instead of waiting, unread, for a caller
         * who never takes them (they may hold the subscriber connection). Also releases a response that came but was
         * never returned to the caller (its wait was interrupted as it came).
         */
        @Override
        public boolean cancel() {
            ReceivedMessage abandoned = null;
            s.lock.lock();
            try {
                if (state == State.QUEUED) {
                    s.queue.remove(this);
                    finish(null, new PollingException(PollingException.Reason.CANCELLED, "cancelled while queued; it was never sent"));
                    withdrawn = true;
                    return true;
                }
                if (state == State.TAKEN || state == State.SENT) {
                    callerGone = true;
                }
                if (state == State.DONE && response != null && !responseTaken) {
                    abandoned = response;
                    response = null;
                    responseTaken = true;
                }
                return withdrawn; // true again for a request cancelled while queued
            } finally {
                s.lock.unlock();
                if (abandoned != null) {
                    abandoned.discardStreams(); // outside the lock: skipping a live stream reads the connection
                }
            }
        }

        /** Every step is a short change under the subscription's lock: a listener may take these on an event loop. */
        @Override
        public boolean nonBlocking() {
            return true;
        }

        /**
         * The caller is in this process and reads the response's streams as soon as it has the response (or
         * discards them: {@link #complete} when it gave up, {@link #cancel} when its wait was interrupted as the
         * response came), so they need not be stored first.
         */
        @Override
        public boolean liveResponseStreams() {
            return true;
        }

        /** Known once the caller waits, which it does as soon as it has queued the request. */
        @Override
        public java.util.Optional<Duration> callerResponseTimeout() {
            return java.util.Optional.ofNullable(callerResponseTimeout);
        }

        @Override
        public boolean sending() {
            s.lock.lock();
            try {
                if (state != State.TAKEN) {
                    return false;
                }
                if (callerGone) {
                    finish(null, new PollingException(PollingException.Reason.CANCELLED,
                            "the caller gave up after the request was collected; it was not sent"));
                    return false;
                }
                state = State.SENT;
                sentAt = System.nanoTime();
                changed.signalAll();
                return true;
            } finally {
                s.lock.unlock();
            }
        }

        @Override
        public void complete(ReceivedMessage received) {
            boolean delivered = false;
            s.lock.lock();
            try {
                if (state == State.SENT && !callerGone) {
                    finish(received, null);
                    delivered = true;
                } else if (state == State.SENT) {
                    finish(null, new PollingException(PollingException.Reason.CANCELLED,
                            "the caller gave up after the request was collected; it may have run"));
                }
            } finally {
                s.lock.unlock();
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
            s.lock.lock();
            try {
                if (state != State.TAKEN && state != also) {
                    return;
                }
                if (callerGone) {
                    finish(null, new PollingException(PollingException.Reason.CANCELLED,
                            "the caller gave up after the request was collected; it was not sent"));
                } else if (System.nanoTime() - collectBy >= 0) {
                    notCollected();
                } else {
                    state = State.QUEUED;
                    s.queue.addFirst(this);
                    s.requestsAvailable.signalAll();
                    changed.signalAll();
                }
            } finally {
                s.lock.unlock();
            }
            if (!s.lock.isHeldByCurrentThread()) {
                s.handOut();
            }
        }

        /** Lock held. */
        void notCollected() {
            finish(null, new PollingException(PollingException.Reason.NOT_COLLECTED,
                    "not collected: no polling service host presenting " + expectedThumbprint
                            + " took it within the collection timeout; it was removed and will never run"));
        }

        /** Lock held (or the entry was never shared). */
        void finish(ReceivedMessage bytes, PollingException f) {
            if (state == State.DONE) {
                return;
            }
            state = State.DONE;
            response = bytes;
            failure = f;
            s.live.remove(this);
            changed.signalAll();
        }
    }
}
