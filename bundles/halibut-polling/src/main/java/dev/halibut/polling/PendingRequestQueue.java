package dev.halibut.polling;

import dev.halibut.EncodedMessage;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Requests waiting for a polling service host, per subscription. The listener's callers
 * {@link #enqueue} requests; subscriber connections {@link #take} them. The in-memory implementation
 * serves one listener node; a shared implementation (such as the Redis queue of {@code halibut-queue-redis})
 * lets several listener nodes see one queue per subscription, so a request queued on node A is collected by
 * a subscriber connected to node B and its response returns to the caller on node A.
 *
 * <p>Rules every implementation keeps (for a shared queue: across every node that shares it):
 * <ol>
 *   <li><b>At most once.</b> A request is handed to at most one taker, and runs at most once: once
 *       {@link CollectedRequest#sending()} has returned {@code true} for it, no taker gets it again, unless it is
 *       {@linkplain CollectedRequest#putBackUnread put back unread} because the service host provably never read
 *       it (so it has not run).</li>
 *   <li><b>Collection timeout.</b> A request not taken within its collection timeout is removed and never
 *       handed out later; the check and the hand-out are one atomic step, so a request cannot be handed out
 *       after its caller was told it was not collected.</li>
 *   <li><b>Cancellation.</b> {@link PendingCall#cancel()} of a queued request removes it for every taker
 *       (on every node) atomically with respect to taking: it either returns {@code true} and the request
 *       never runs, or returns {@code false} because it was taken already.</li>
 *   <li><b>Thumbprint.</b> The expected thumbprint travels with the request; it is handed only to a taker of
 *       its subscription presenting that thumbprint (compared case-insensitively).</li>
 *   <li><b>Put back.</b> A taken request that was not sent can be {@linkplain CollectedRequest#putBack() put
 *       back} at the head of the queue (or fails as not collected if its collection timeout has passed); so can a
 *       sent request that provably did not run ({@link CollectedRequest#putBackUnread}).</li>
 *   <li><b>Bounded waits.</b> {@link PendingCall#awaitResponse} returns or throws within the collection
 *       timeout plus the response timeout plus a bounded, documented slack, whatever happens to the taker:
 *       a shared queue detects a collecting node that died (by its heartbeats) and fails the call
 *       ({@link PollingException.Reason#CONNECTION_LOST}) without waiting for the response timeout.</li>
 *   <li><b>Store failures.</b> A shared queue whose store cannot be reached fails calls with
 *       {@link PollingException.Reason#QUEUE_UNAVAILABLE} (the message names the store) instead of hanging;
 *       {@link #take} then returns {@code null} after at most {@code maxWait} (and a {@link #takeAsync} future
 *       completes with {@code null} within a bounded, documented time), and all work again once the store is
 *       back.</li>
 *   <li><b>Request ids.</b> Callers give ids unique across every node sharing the queue (the runtime's ids
 *       carry a random per-runtime prefix); a shared queue refuses a duplicate.</li>
 * </ol>
 *
 * <p>Streams: {@link #enqueue} may read each request stream once, at once or until the request is
 * collected (a shared queue copies it to its store then); the caller must not read it again. The streams
 * of a {@link CollectedRequest#request()} are read once, by the subscriber connection that sends them. The
 * streams given to {@link CollectedRequest#complete} belong to the queue from then on (it reads or discards
 * them); they are stored first, unless the request says it takes them as they arrive
 * ({@link CollectedRequest#liveResponseStreams()}: then they hold the subscriber connection until read or
 * discarded). The streams of the response {@link PendingCall#awaitResponse} returns belong to the caller and stay
 * readable after the call (a shared queue documents how long); {@link dev.halibut.DataStream#discard()}
 * releases them. A shared queue may bound the total stream size per message; beyond it the call fails with
 * {@link PollingException.Reason#REFUSED} (request) or as a failed response, with a message saying so.
 *
 * <p>Ownership: the runtime a queue is handed to ({@code HalibutRuntime.builder().pendingRequestQueue(q)})
 * owns it and closes it when the runtime closes; one queue object serves one runtime. Several runtimes (nodes)
 * share a queue by each connecting its own queue object to the same store.
 */
public interface PendingRequestQueue extends AutoCloseable {

    /**
     * Queues an encoded request. Never blocks for longer than it takes to store the request (and, for a
     * shared queue, its streams); failures to queue are reported by the returned call's
     * {@link PendingCall#awaitResponse}.
     *
     * @param subscription       the {@code poll://} subscription
     * @param expectedThumbprint the certificate thumbprint the collecting service host must present
     * @param requestId          the request's id, unique in this queue (across nodes, for a shared one)
     * @param request            the encoded request and its streams
     * @param collectionTimeout  how long it may wait to be taken
     * @return the caller's handle on the request
     */
    PendingCall enqueue(URI subscription, String expectedThumbprint, String requestId, EncodedMessage request,
                        Duration collectionTimeout);

    /**
     * Takes the next request of {@code subscription} for a service host presenting {@code thumbprint},
     * waiting up to {@code maxWait}.
     *
     * @return the request, or {@code null} if none came in time (or a shared queue's store is unreachable)
     */
    CollectedRequest take(URI subscription, String thumbprint, Duration maxWait) throws InterruptedException;

    /**
     * Waits for the next request of {@code subscription} for a service host presenting {@code thumbprint} without
     * blocking the caller: the future completes with the request once there is one. The taker stops waiting by
     * cancelling the future; a request the queue hands to a future that is done already (cancelled) goes back to
     * the head of the queue ({@link CollectedRequest#putBack()}), so none is lost to a taker that left. The future
     * completes with {@code null} when the queue cannot wait (it is closed, or a shared queue's store is
     * unreachable); the taker then ends its connection and the service host connects again.
     *
     * <p>The listener uses this for its subscriber connections, so that a subscriber waiting for work holds no
     * thread. The default waits with {@link #take} on a thread of {@code blocking}, one second at a time, until the
     * future is done: a thread per waiting taker (and, for up to a second after a taker left, its take runs on).
     * {@link InMemoryPendingRequestQueue} waits without a thread, and so does the Redis queue of
     * {@code halibut-queue-redis} (one thread per queue object waits on Redis for all its takers, and each look at
     * the store is a short task on {@code blocking}); other implementations should too.
     *
     * @param blocking where the default implementation may block (the listener's worker threads), and where an
     *                 implementation that waits without a thread may run its short looks at its store
     */
    default CompletableFuture<CollectedRequest> takeAsync(URI subscription, String thumbprint, Executor blocking) {
        CompletableFuture<CollectedRequest> result = new CompletableFuture<>();
        // Not interrupted when the taker leaves: an implementation's take may not be safe against an interrupt
        // between taking a request from its store and handing it out. The slice bounds how long it runs on.
        blocking.execute(() -> {
            try {
                while (!result.isDone()) {
                    long start = System.nanoTime();
                    CollectedRequest r = take(subscription, thumbprint, DEFAULT_TAKE_SLICE);
                    if (r != null) {
                        if (!result.complete(r)) {
                            r.putBack(); // the taker left meanwhile
                        }
                        return;
                    }
                    if (System.nanoTime() - start < DEFAULT_TAKE_SLICE.toNanos() / 2) {
                        result.complete(null); // take cannot wait: closed, or the store is unreachable
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the executor is stopping
                result.complete(null);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** How long each {@link #take} of the default {@link #takeAsync} waits before it looks whether the taker left. */
    Duration DEFAULT_TAKE_SLICE = Duration.ofSeconds(1);

    /**
     * Requests queued (not yet taken) for a subscription; for a shared queue, by every node (it may still
     * count requests of a node that died until a taker discards them).
     */
    int queuedCount(URI subscription);

    /**
     * Fails every request this queue object's callers still wait for (withdrawing those still queued) and
     * ends its threads; later calls are refused. A shared queue leaves other nodes' requests alone.
     */
    @Override
    void close();
}
