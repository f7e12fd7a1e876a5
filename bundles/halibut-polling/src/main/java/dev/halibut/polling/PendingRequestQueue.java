package dev.halibut.polling;

import dev.halibut.wire.EncodedMessage;
import java.net.URI;
import java.time.Duration;

/**
 * Requests waiting for a polling service host, per subscription. The listener's callers
 * {@link #enqueue} requests; subscriber connections {@link #take} them, each request by exactly one
 * taker. The in-memory implementation serves one listener node; an implementation shared by several
 * nodes (on Redis, say) can implement the same contract: a request is its encoded envelope plus the
 * streams to send after it, a response its envelope plus the streams received with it.
 *
 * <p>Rules every implementation keeps:
 * <ul>
 *   <li>a request not taken within its collection timeout is removed and never handed out later;</li>
 *   <li>a request cancelled while queued is removed and never handed out;</li>
 *   <li>a request is handed only to a taker of its subscription presenting the expected thumbprint;</li>
 *   <li>a taken request that was not sent can be {@linkplain CollectedRequest#putBack() put back}, at the
 *       head of the queue.</li>
 * </ul>
 */
public interface PendingRequestQueue extends AutoCloseable {

    /**
     * Queues an encoded request.
     *
     * @param subscription       the {@code poll://} subscription
     * @param expectedThumbprint the certificate thumbprint the collecting service host must present
     * @param requestId          the request's id, unique in this queue
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
     * @return the request, or {@code null} if none came in time
     */
    CollectedRequest take(URI subscription, String thumbprint, Duration maxWait) throws InterruptedException;

    /** Requests queued (not yet taken) for a subscription. */
    int queuedCount(URI subscription);

    /** Fails every request still queued or awaiting its response; later calls are refused. */
    @Override
    void close();
}
