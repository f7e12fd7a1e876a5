package dev.halibut.runtime.internal;

import dev.halibut.Thumbprints;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.polling.PollingException;
import dev.halibut.runtime.HalibutObserver.QueueEvent;
import dev.halibut.runtime.RuntimeStatus;
import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runtime's view of its pending-request queue: it wraps whatever queue the runtime was built with
 * and sees each request this runtime's callers queue, up to its collection (or expiry, or withdrawal).
 * That is what the queue events and the pending-request status are made of; the wrapped queue keeps
 * every rule of the SPI. Requests queued by other nodes sharing the same queue are not seen here.
 */
final class ObservedQueue implements PendingRequestQueue {

    private final PendingRequestQueue queue;
    private final Telemetry telemetry;
    /** Queued by this runtime's callers and not yet collected, by request id. */
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    private record Pending(String subscription, String thumbprint, String requestId, CallTrace trace, long queuedNanos) {
        QueueEvent event() {
            return new QueueEvent(Instant.now(), subscription, thumbprint, requestId, trace.service, trace.method,
                    Duration.ofNanos(System.nanoTime() - queuedNanos));
        }
    }

    ObservedQueue(PendingRequestQueue queue, Telemetry telemetry) {
        this.queue = queue;
        this.telemetry = telemetry;
    }

    /** Queues a request of an outgoing call; the returned call reports collection and expiry. */
    PendingCall enqueue(URI subscription, String expectedThumbprint, String requestId, EncodedMessage request,
                        Duration collectionTimeout, CallTrace trace) {
        Pending p = new Pending(EndpointKeys.of(subscription), Thumbprints.normalize(expectedThumbprint), requestId, trace,
                System.nanoTime());
        // Known before the request is: a service host may collect it before enqueue returns.
        pending.put(requestId, p);
        telemetry.requestQueued(new QueueEvent(Instant.now(), p.subscription(), p.thumbprint(), requestId, trace.service,
                trace.method, Duration.ZERO));
        PendingCall call;
        try {
            call = queue.enqueue(subscription, expectedThumbprint, requestId, request, collectionTimeout);
        } catch (RuntimeException e) {
            pending.remove(requestId, p);
            throw e;
        }
        return new PendingCall() {
            @Override
            public String requestId() {
                return call.requestId();
            }

            @Override
            public ReceivedMessage awaitResponse(Duration responseTimeout) throws PollingException, InterruptedException {
                try {
                    return call.awaitResponse(responseTimeout);
                } catch (PollingException e) {
                    if (e.reason() == PollingException.Reason.NOT_COLLECTED && pending.remove(requestId, p)) {
                        telemetry.requestExpired(p.event());
                    }
                    throw e;
                } finally {
                    pending.remove(requestId, p);
                }
            }

            @Override
            public boolean cancel() {
                boolean withdrawn = call.cancel();
                if (withdrawn) {
                    pending.remove(requestId, p);
                }
                return withdrawn;
            }
        };
    }

    @Override
    public PendingCall enqueue(URI subscription, String expectedThumbprint, String requestId, EncodedMessage request,
                               Duration collectionTimeout) {
        return queue.enqueue(subscription, expectedThumbprint, requestId, request, collectionTimeout);
    }

    @Override
    public CollectedRequest take(URI subscription, String thumbprint, Duration maxWait) throws InterruptedException {
        CollectedRequest taken = queue.take(subscription, thumbprint, maxWait);
        return taken == null ? null : observed(taken);
    }

    /**
     * The queue's asynchronous take, observed. Cancelling the returned future cancels the queue's, and a request
     * the queue hands out just as the taker leaves goes back to it.
     */
    @Override
    public CompletableFuture<CollectedRequest> takeAsync(URI subscription, String thumbprint, Executor blocking) {
        CompletableFuture<CollectedRequest> source = queue.takeAsync(subscription, thumbprint, blocking);
        CompletableFuture<CollectedRequest> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                source.cancel(false);
            }
        });
        source.whenComplete((taken, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else if (!result.complete(taken == null ? null : observed(taken)) && taken != null) {
                taken.putBack();
            }
        });
        return result;
    }

    private CollectedRequest observed(CollectedRequest taken) {
        return new CollectedRequest() {
            @Override
            public String requestId() {
                return taken.requestId();
            }

            @Override
            public EncodedMessage request() {
                return taken.request();
            }

            @Override
            public boolean sending() {
                boolean sending = taken.sending();
                if (sending) {
                    Pending p = pending.remove(taken.requestId());
                    if (p != null) {
                        p.trace().collectedNanos = System.nanoTime();
                        telemetry.requestCollected(p.event());
                    }
                }
                return sending;
            }

            @Override
            public void complete(ReceivedMessage response) {
                taken.complete(response);
            }

            /** As the queue's: the observation added here (a map removal, the observers) does not block either. */
            @Override
            public boolean nonBlocking() {
                return taken.nonBlocking();
            }

            /** As the queue's: the observation hands the response on as it is. */
            @Override
            public boolean liveResponseStreams() {
                return taken.liveResponseStreams();
            }

            @Override
            public java.util.Optional<Duration> callerResponseTimeout() {
                return taken.callerResponseTimeout();
            }

            @Override
            public void fail(String reason) {
                taken.fail(reason);
            }

            @Override
            public void putBack() {
                taken.putBack();
            }

            /**
             * Delegated, so the queue's own put back applies. The request is not listed as pending again (its
             * caller may have given up meanwhile, and the entry would stay); its collection was reported at the first
             * send and is not reported again.
             */
            @Override
            public void putBackUnread(String reason) {
                taken.putBackUnread(reason);
            }
        };
    }

    @Override
    public int queuedCount(URI subscription) {
        return queue.queuedCount(subscription);
    }

    @Override
    public void close() {
        queue.close();
    }

    /** This runtime's uncollected requests per subscription, sorted by subscription. */
    List<RuntimeStatus.PendingRequests> snapshot() {
        long now = System.nanoTime();
        Map<String, long[]> bySubscription = new TreeMap<>(); // count, oldest queuedNanos
        for (Pending p : pending.values()) {
            long[] s = bySubscription.computeIfAbsent(p.subscription(), k -> new long[] {0, p.queuedNanos()});
            s[0]++;
            if (p.queuedNanos() - s[1] < 0) {
                s[1] = p.queuedNanos();
            }
        }
        List<RuntimeStatus.PendingRequests> out = new ArrayList<>();
        bySubscription.forEach((sub, s) -> out.add(new RuntimeStatus.PendingRequests(sub, (int) s[0],
                Duration.ofNanos(Math.max(0, now - s[1])))));
        return out;
    }
}
