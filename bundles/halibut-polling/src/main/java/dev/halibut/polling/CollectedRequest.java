package dev.halibut.polling;

import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.time.Duration;
import java.util.Optional;

/**
 * A request a subscriber connection has taken. The connection first checks it is alive, then either
 * {@link #putBack()}s the request (nothing was sent) or marks it {@link #sending()} and writes it; after
 * that the request ends with {@link #complete} or {@link #fail}.
 */
public interface CollectedRequest {

    String requestId();

    /** The encoded request and the streams to send after it. */
    EncodedMessage request();

    /**
     * Marks the request as about to be written; from now on it may run, and its response timeout starts.
     *
     * @return {@code false} if the caller gave up meanwhile (do not send it)
     */
    boolean sending();

    /**
     * Delivers the response to the waiting caller. If the caller has given up meanwhile, the response's
     * streams are discarded. When {@link #liveResponseStreams()} is {@code true}, the streams may still be arriving
     * on the subscriber connection (see there).
     */
    void complete(ReceivedMessage response);

    /** Fails the call: the request was sent but no response will come. */
    void fail(String reason);

    /**
     * Returns the request to the head of its queue because it was never sent (the connection failed its
     * liveness check). If its collection timeout has passed meanwhile, the caller is told it was not
     * collected instead.
     */
    void putBack();

    /**
     * Like {@link #putBack()}, for a request already marked {@link #sending()} that provably did not run: the
     * service host never read it (it ended the connection before the request was written, its write failed
     * before all of it reached the socket, or it answered END in place of a response; docs/protocol.md,
     * sections 3 and 5). The request goes back to the head of its queue for another connection, or fails as not
     * collected if its collection timeout has passed.
     *
     * <p>The default fails the call as {@link #fail} does ("it may have run"): an implementation that cannot
     * hand a sent request out again stays safe. Both implementations in Halibut put it back.
     *
     * @param reason why it did not run, for an implementation that cannot put it back
     */
    default void putBackUnread(String reason) {
        fail(reason);
    }

    /**
     * Whether {@link #sending()}, {@link #complete}, {@link #fail}, {@link #putBack()} and {@link #putBackUnread}
     * only change state in memory (short locks, no I/O, no waiting) and never block. Then the listener carries a
     * small request without streams, and a response without streams, without a worker thread: it marks the request
     * and writes it on the thread that completed the {@link PendingRequestQueue#takeAsync take} and completes it on
     * the connection's event loop. The default, {@code false}, keeps every call of these methods on a worker thread
     * (a shared queue's steps are round trips to its store).
     *
     * @since 1.2
     */
    default boolean nonBlocking() {
        return false;
    }

    /**
     * Whether {@link #complete} may be given the response's streams while they are still arriving on the subscriber
     * connection: each is then read from that connection as it is read (one frame at a time, never stored), and the
     * connection carries nothing else until every stream has been read to its end or
     * {@linkplain dev.halibut.DataStream#discard() discarded}. A queue that says {@code true} hands the streams to a
     * caller in this process that reads or discards them at once (as {@link InMemoryPendingRequestQueue} does: its
     * caller reads the result's streams straight from the service host, as a caller of a listening endpoint does),
     * or reads or discards them itself within {@code complete}; and it discards them when the caller has given up.
     * A stream dropped unread (garbage-collected) closes the subscriber connection; the service host connects again.
     *
     * <p>The default, {@code false}, gives {@code complete} streams stored first (in memory up to 64 KiB, else in a
     * temporary file of the runtime's {@code temporaryDirectory}), which stay readable however long the queue keeps
     * them: right for a queue that carries the response to another node (the Redis queue of
     * {@code halibut-queue-redis} copies them to its store).
     *
     * @since 1.3
     */
    default boolean liveResponseStreams() {
        return false;
    }

    /**
     * The response timeout the waiting caller gave ({@link PendingCall#awaitResponse}), if it is known here (the
     * caller is in this process and waits already). With {@link #liveResponseStreams()} the listener bounds each read
     * of the response's streams by it, as a caller of a listening endpoint has its reads bounded by its own response
     * timeout. Empty by default: the listener's own response timeout applies.
     *
     * @since 1.3
     */
    default Optional<Duration> callerResponseTimeout() {
        return Optional.empty();
    }
}
