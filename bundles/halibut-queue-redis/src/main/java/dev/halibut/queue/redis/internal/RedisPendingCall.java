package dev.halibut.queue.redis.internal;

import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PollingException;
import dev.halibut.polling.PollingException.Reason;
import dev.halibut.ReceivedMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The caller's side of one request in Redis. The caller's thread waits for its inbox wake-up, and at least
 * every heartbeat interval runs {@link Script#CHECK}, which applies the deadlines in Redis: so a collecting
 * node that died, a Redis that went away, or a missed wake-up ends the wait within a heartbeat interval of
 * being noticed.
 */
final class RedisPendingCall implements PendingCall {

    private final Node node;
    private final String id;
    private final String thumbprint;
    private final byte[] queueKey;
    private final StreamDescriptors requestStreams;
    private final Semaphore wake;
    private final Runnable onEnd;
    private final PollingException failure;
    /** The collection timeout: the first wait, before any look at the request, is no longer. */
    private final long firstWaitMs;

    RedisPendingCall(Node node, String id, String thumbprint, byte[] queueKey, StreamDescriptors requestStreams,
                     Semaphore wake, Runnable onEnd, Duration collectionTimeout) {
        this.node = node;
        this.id = id;
        this.thumbprint = thumbprint;
        this.queueKey = queueKey;
        this.requestStreams = requestStreams;
        this.wake = wake;
        this.onEnd = onEnd;
        this.failure = null;
        this.firstWaitMs = collectionTimeout.toMillis();
    }

    /** A call that failed before it was queued. */
    RedisPendingCall(String id, PollingException failure) {
        this.node = null;
        this.id = id;
        this.thumbprint = null;
        this.queueKey = null;
        this.requestStreams = StreamDescriptors.NONE;
        this.wake = null;
        this.onEnd = () -> { };
        this.failure = failure;
        this.firstWaitMs = 0;
    }

    @Override
    public String requestId() {
        return id;
    }

    @Override
    public ReceivedMessage awaitResponse(Duration responseTimeout) throws PollingException, InterruptedException {
        if (failure != null) {
            throw failure;
        }
        long intervalMs = node.settings.heartbeatInterval().toMillis();
        String lastState = "QUEUED";
        long failingSince = 0;
        long retryWindowNanos = node.settings.nodeTimeout().plus(node.settings.heartbeatInterval().multipliedBy(2)).toNanos();
        try {
            // A fast answer wakes us before the first look: waiting first saves a round trip per call.
            if (wake.tryAcquire(Math.max(1, Math.min(intervalMs, firstWaitMs)), TimeUnit.MILLISECONDS)) {
                wake.drainPermits();
            }
            while (true) {
                if (node.closed) {
                    throw closed();
                }
                List<?> r;
                try {
                    r = (List<?>) node.script("looking at request " + id, Script.CHECK, id, Node.keys(queueKey),
                            responseTimeout.toMillis(), node.keepMs(), node.settings.nodeTimeout().toMillis());
                } catch (RedisUnavailableException e) {
                    if (node.closed) {
                        throw closed();
                    }
                    if (failingSince == 0) {
                        failingSince = System.nanoTime();
                        continue; // at once on a fresh connection: a stale pooled one after a Redis restart fails once
                    }
                    boolean lapsed = node.heartbeat.certainlyLapsed();
                    if (!lapsed && System.nanoTime() - failingSince < retryWindowNanos) {
                        // Redis may be back soon, and meanwhile another node could still collect the request: keep
                        // looking until either a look succeeds or this node's heartbeat has expired in Redis.
                        if (wake.tryAcquire(intervalMs, TimeUnit.MILLISECONDS)) {
                            wake.drainPermits();
                        }
                        continue;
                    }
                    throw unavailable(e, lapsed, lastState);
                }
                failingSince = 0;
                String state = Keys.s((byte[]) r.get(0));
                lastState = state;
                switch (state) {
                    case "DONE":
                        return done(r, responseTimeout);
                    case "GONE":
                        node.streams.delete(requestStreams);
                        throw new PollingException(Reason.QUEUE_UNAVAILABLE, node.store.description()
                                + " does not hold request " + id + " (Redis failed while it was queued, or restarted or"
                                + " evicted it since); it will not run from now on; if a service host had collected it"
                                + " before, it may have run");
                    default:
                        long wait = intervalMs;
                        if ("QUEUED".equals(state)) {
                            wait = Math.max(1, Math.min(intervalMs, Long.parseLong(Keys.s((byte[]) r.get(1))) + 1));
                        }
                        if (wake.tryAcquire(wait, TimeUnit.MILLISECONDS)) {
                            wake.drainPermits();
                        }
                }
            }
        } finally {
            onEnd.run();
        }
    }

    /** Redis did not answer the call's looks for the retry window, or this node's heartbeat has lapsed. */
    private PollingException unavailable(RedisUnavailableException e, boolean lapsed, String lastState) {
        String what;
        if ("TAKEN".equals(lastState) || "SENT".equals(lastState)) {
            what = "A service host had collected the request, so it may have run";
        } else if (lapsed) {
            node.streams.delete(requestStreams);
            what = "No service host can collect the request any more (this node's heartbeat in Redis has lapsed), so it"
                    + " will not run from now on";
        } else {
            what = "Redis still answers this node's heartbeat, so a request still queued may yet be collected until its"
                    + " collection timeout ends";
        }
        return new PollingException(Reason.QUEUE_UNAVAILABLE, e.getMessage() + "; the call is given up. " + what);
    }

    private PollingException closed() {
        return new PollingException(Reason.CLOSED, "the runtime was closed while the call waited; a request still queued"
                + " was withdrawn and will never run");
    }

    private ReceivedMessage done(List<?> r, Duration responseTimeout) throws PollingException {
        String outcome = Keys.s((byte[]) r.get(1));
        String msg = Keys.s((byte[]) r.get(2));
        byte[] response = (byte[]) r.get(3);
        StreamDescriptors responseStreams;
        try {
            responseStreams = StreamDescriptors.parse(Keys.s((byte[]) r.get(4)));
        } catch (IllegalArgumentException e) {
            throw new PollingException(Reason.CONNECTION_LOST, "the response in " + node.store.description()
                    + " is malformed (" + e.getMessage() + "); the request may have run");
        }
        cleanUp();
        String redis = node.store.description();
        return switch (outcome) {
            case "OK" -> new ReceivedMessage(response, node.streams.open(responseStreams, true));
            case "NOT_COLLECTED" -> throw new PollingException(Reason.NOT_COLLECTED, "not collected: no polling service"
                    + " host presenting " + thumbprint + " took it within the collection timeout on any node sharing " + redis
                    + "; it was removed and will never run");
            case "CANCELLED" -> throw new PollingException(Reason.CANCELLED, "cancelled while queued; it was never sent");
            case "WITHDRAWN" -> throw new PollingException(Reason.QUEUE_UNAVAILABLE, "withdrawn: this node's heartbeat in "
                    + redis + " lapsed (Redis restarted, or was unreachable for longer than the node timeout); it was never"
                    + " sent and will never run");
            case "COLLECTOR_LOST" -> throw new PollingException(Reason.CONNECTION_LOST, "the listener node " + msg
                    + " that collected it stopped heartbeating in " + redis + " (it died, closed, or lost Redis); it may have run");
            case "NO_RESPONSE" -> throw new PollingException(Reason.NO_RESPONSE, "collected, but no response came within "
                    + responseTimeout + " (responseTimeout); it may have run");
            case "REFUSED" -> throw new PollingException(Reason.REFUSED, msg);
            case "LOST" -> throw new PollingException(Reason.QUEUE_UNAVAILABLE, redis + " lost the request's bytes"
                    + " (evicted: check its maxmemory policy); it was never sent and will never run");
            default -> throw new PollingException(Reason.CONNECTION_LOST, msg.isEmpty() ? outcome : msg);
        };
    }

    /** The request has ended (CHECK deleted it): its request streams are not needed any more. */
    private void cleanUp() {
        node.streams.delete(requestStreams);
    }

    @Override
    public boolean cancel() {
        if (failure != null) {
            return failure.reason() == Reason.CANCELLED;
        }
        try {
            Object r = node.script("withdrawing request " + id, Script.CANCEL, id, Node.keys(queueKey));
            boolean withdrawn = r instanceof Long l && l == 1;
            if (withdrawn) {
                node.streams.delete(requestStreams);
            }
            return withdrawn;
        } catch (RedisUnavailableException e) {
            return false;
        }
    }
}
