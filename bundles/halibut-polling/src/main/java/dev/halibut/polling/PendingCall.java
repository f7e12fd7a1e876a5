package dev.halibut.polling;

import dev.halibut.ReceivedMessage;
import java.time.Duration;

/** The caller's handle on a queued request. */
public interface PendingCall {

    String requestId();

    /**
     * Waits until the request is collected (at most its collection timeout) and then for its response
     * (at most {@code responseTimeout} after collection).
     *
     * @return the encoded response and the streams received with it
     * @throws PollingException     not collected (and removed), no response in time, connection lost,
     *                              cancelled, or the queue closed
     * @throws InterruptedException the waiting thread was interrupted; call {@link #cancel()} to withdraw
     */
    ReceivedMessage awaitResponse(Duration responseTimeout) throws PollingException, InterruptedException;

    /**
     * Withdraws the request if it is still queued.
     *
     * @return {@code true} if it was removed and will never be sent; {@code false} if a service host
     *         has taken it already (it may run)
     */
    boolean cancel();
}
