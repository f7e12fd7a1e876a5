package dev.halibut.polling.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.ReceivedMessage;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ExchangeException;
import dev.halibut.transport.RequestExchange;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import java.io.IOException;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener side of the subscriber connections of one runtime: hands each connection its subscription's
 * queued requests one at a time and carries the responses back. Whenever no work has come for the keep-alive
 * interval, and before a request unless the subscriber was heard from within the heartbeat skip window and its
 * connection is open and quiet ({@link Connection#readyForRequest}), it sends NEXT and expects PROCEED: a dead
 * connection is found before a request is sent on it, and the request goes back to the queue for another
 * connection.
 *
 * <p>A connection waiting for work holds no thread: it waits on the queue ({@link PendingRequestQueue#takeAsync}),
 * its keep-alive runs from a timer on its event loop, and whatever the subscriber sends meanwhile (END, its close,
 * or a frame it must not send) is seen at once by the event loop ({@link Connection#onReadable}) and lets the
 * connection go. A small request without streams that finds its connection waiting, from a queue whose steps never
 * block, is written by the thread that handed it out (the caller that queued it) and its response is taken on the
 * event loop, with no worker thread ({@code serveDirectly}); every other request and response is carried on one of the
 * listener's worker threads, and so is whatever goes wrong on the direct way. A response's streams go straight to
 * a caller in this process when the queue takes them as they arrive ({@link CollectedRequest#liveResponseStreams()}):
 * the caller reads them from this connection, no thread of the listener waits meanwhile, and the connection waits
 * for work again (or is closed, when a stream failed or was dropped unread) once they are all read or discarded;
 * otherwise they are stored before the response is handed to the queue. When the runtime
 * closes ({@link #beginClose()}), or stops trusting a subscriber ({@link #trustChanged()}), the connection ends with
 * END: at once when it waits for work, after its response when it is in an exchange (docs/protocol.md, "Polling
 * mode").
 */
public final class SubscriberSession {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriberSession.class);

    private final PendingRequestQueue queue;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final RequestExchange exchange;
    /**
     * The largest request (its BSON) the fast path sends: small enough that a writable connection takes it without
     * its writer ever waiting for room (see {@link Connection#sendRequestThenOnReadable}).
     */
    static final int DIRECT_MAX_BYTES = Connection.WRITE_LOW_WATER;
    /** The connections being served now, so that closing can end each of them. */
    private final Set<Session> served = ConcurrentHashMap.newKeySet();
    /** Notified whenever a connection's service ends. */
    private final Object ended = new Object();
    private volatile boolean closing;

    public SubscriberSession(PendingRequestQueue queue, ThumbprintTrust trust, HalibutLimits limits,
                             RequestExchange exchange) {
        this.queue = queue;
        this.trust = trust;
        this.limits = limits;
        this.exchange = exchange;
    }

    /**
     * The identification answer a subscriber gets: {@code HALIBUT-SERVER} with this listener's keep-alive and
     * heartbeat timeout as headers, from which the subscriber tells when the connection is dead
     * ({@link KeepAliveSettings}).
     */
    public Identification reply() {
        return KeepAliveSettings.of(limits).addTo(Identification.server());
    }

    /**
     * Starts serving {@code connection}, identified as a subscriber of {@code subscription}, and returns at once
     * (call it on the connection's event loop, or any thread that must not block). Blocking work (an exchange, a
     * liveness check before a request) runs on {@code workers}. The session closes the connection when it ends.
     */
    public void start(Connection connection, URI subscription, Executor workers) {
        Session s = new Session(connection, subscription, workers);
        served.add(s);
        LOG.info("Subscriber {} connected for {}", connection, subscription);
        connection.onClose(() -> {
            served.remove(s);
            s.leave();
            synchronized (ended) {
                ended.notifyAll();
            }
            LOG.info("Subscriber {} of {} disconnected", connection, subscription);
        });
        s.awaitWork();
    }

    /**
     * Starts ending every subscriber connection with END, without waiting: a connection waiting for work ends at
     * once, one in an exchange when its response has arrived (or its connection fails). Connections that arrive
     * from now on end at once too. For the runtime's close; see {@link #awaitEnded}.
     */
    public void beginClose() {
        closing = true;
        served.forEach(Session::wake);
    }

    /**
     * The trust list changed: every connection waiting for work whose subscriber's certificate is no longer trusted
     * ends now, with END (one in an exchange ends after its response). Quick; call it after removing a thumbprint.
     */
    public void trustChanged() {
        served.forEach(Session::recheckTrust);
    }

    /**
     * Waits until every connection has ended, at most until {@code deadlineNanos} ({@link System#nanoTime()}),
     * except those held by a caller's response streams: those are the calls this runtime makes, which its close fails
     * (closing the listener closes their connections, and the caller's read fails); waiting for them would hold the
     * close for as long as a caller keeps a stream unread.
     *
     * @return whether all have ended (or are held by a caller's streams); those that have not are in an exchange
     *         still, and closing the listener aborts them
     */
    public boolean awaitEnded(long deadlineNanos) throws InterruptedException {
        synchronized (ended) {
            while (served.stream().anyMatch(s -> !s.heldByCaller)) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(ended, left);
            }
            return true;
        }
    }

    /** One subscriber connection's turns: wait for work, keep alive, exchange, again. */
    private final class Session {
        private final Connection connection;
        private final URI subscription;
        private final Executor workers;
        /** The current wait for work, if the connection is waiting; guarded by this. */
        private Wait waiting;
        /**
         * Whether a caller in this process is reading the last response's streams from this connection: no wait for
         * work, no keep-alive, until it has read or discarded them all ({@link #streamsFinished}).
         */
        volatile boolean heldByCaller;
        /** The subscriber as a failed read of a live response stream names it; made at the first such response. */
        private String peer;

        Session(Connection connection, URI subscription, Executor workers) {
            this.connection = connection;
            this.subscription = subscription;
            this.workers = workers;
        }

        /**
         * Waits, holding no thread, for whichever comes first: a request of the subscription, the keep-alive
         * interval, anything from the subscriber (END, its close, or a frame it must not send now), or the
         * runtime's close.
         */
        void awaitWork() {
            awaitWork(null);
        }

        /**
         * As {@link #awaitWork()}, and runs {@code first} (if not null) once this wait is set up, or as soon as anything
         * decides it, whichever comes first (or before the connection ends, if it ends instead): for the response just
         * taken on the event loop, so that its caller's next request finds this connection waiting (and is sent from
         * the caller's thread), and so that the response reaches its caller before a closing runtime can fail it.
         */
        void awaitWork(Runnable first) {
            if (connection.isClosed()) {
                runFirst(first);
                return;
            }
            if (closing) {
                runFirst(first);
                end();
                return;
            }
            Wait w = new Wait(first);
            synchronized (this) {
                waiting = w;
            }
            boolean backlog;
            try {
                w.take = queue.takeAsync(subscription, connection.remoteThumbprint(), workers);
                // Handed a request at once: it was queued while this connection was busy, so the listener is
                // saturated. Then the worker path spreads the compression, the decoding and the queue's steps over the
                // worker threads instead of adding them to the event loop, which carries the TLS of many connections
                // (measured, 64 callers on 64 connections: 0.64x of gRPC before, 0.42x with all of it on the event
                // loops). The hand-off costs little when every thread is busy anyway.
                backlog = w.take.isDone();
            } catch (RuntimeException e) {
                w.runFirst();
                throw e;
            }
            w.watch = connection.onReadable(null, readable -> {
                if (w.decide()) {
                    subscriberSpoke();
                }
            });
            try {
                w.keepAlive = connection.schedule(limits.pollingKeepAlive(), () -> {
                    if (w.decide()) {
                        keepAlive();
                    }
                });
            } catch (RejectedExecutionException e) {
                if (w.decide()) {
                    connection.close(); // the event loops are shutting down with the runtime
                }
                w.runFirst();
                return;
            }
            if (w.decided.get()) {
                w.keepAlive.cancel(false); // decided while the timer was being set: it has nothing to do
            }
            w.take.whenComplete((request, error) -> {
                if (!w.decide()) {
                    if (request != null) {
                        request.putBack(); // handed out just as the wait ended otherwise
                    }
                    return;
                }
                if (error != null) {
                    LOG.error("Closing subscriber {} of {}: the queue failed to hand it work", connection, subscription,
                            error);
                    connection.close();
                } else if (request == null) {
                    LOG.info("Ending subscriber {} of {}: the queue is closed or its store unreachable; the service"
                            + " host connects again", connection, subscription);
                    connection.closeGracefully();
                } else if (backlog || !serveDirectly(request)) {
                    try {
                        workers.execute(() -> serve(request));
                    } catch (RejectedExecutionException e) {
                        request.putBack();
                        connection.close(); // the listener is shutting down
                    }
                }
            });
            w.runFirst(); // the wait is complete: whoever's next request comes now is handed to it
            if (closing) {
                wake(); // close began while this wait was set up
            }
        }

        /** The runtime closes: a connection waiting for work ends now, with END. */
        void wake() {
            Wait w;
            synchronized (this) {
                w = waiting;
            }
            if (w != null && w.decide()) {
                end();
            }
        }

        /** Ends the connection with END now if it waits for work and its certificate is no longer trusted. */
        void recheckTrust() {
            if (trust.isTrusted(connection.remoteThumbprint())) {
                return;
            }
            Wait w;
            synchronized (this) {
                w = waiting;
            }
            if (w != null && w.decide()) {
                trusted(null); // says why, and ends the connection with END
            }
        }

        /** The connection closed: stop waiting (the queue forgets this taker). */
        void leave() {
            Wait w;
            synchronized (this) {
                w = waiting;
            }
            if (w != null) {
                w.decide();
            }
        }

        private void end() {
            LOG.debug("Ending subscriber {} of {}: the runtime is closing", connection, subscription);
            connection.closeGracefully(); // the frame table's clean ending, on a connection that carries nothing now
        }

        /** On the event loop: what the subscriber sent while it waited ends this session. */
        private void subscriberSpoke() {
            try {
                // Never wait here: this runs on the event loop, which is what would deliver the frame.
                Frame f = connection.pollFrame();
                if (f == null) {
                    // Not expected: the connection wakes a wait only for what arrived after it was registered
                    // (FrameInbox.takeWatchLocked). Should it happen, waiting again is right and cannot spin: the
                    // next wake needs another frame or the connection's end.
                    awaitWork();
                    return;
                }
                if (f.type() == FrameType.END) {
                    LOG.info("Subscriber {} of {} ended the connection", connection, subscription);
                } else {
                    LOG.warn("Closing subscriber {} of {}: it sent a {} frame while it waited for work, which the"
                            + " protocol does not allow", connection, subscription, f.type());
                }
            } catch (java.io.EOFException e) {
                LOG.info("Subscriber {} of {} closed its connection", connection, subscription);
            } catch (IOException e) {
                LOG.debug("Subscriber {} of {} ended: {}", connection, subscription, e.toString());
            }
            connection.close();
        }

        /** On the event loop: no work came for the keep-alive interval; NEXT / PROCEED keeps proxies and NATs from dropping us. */
        private void keepAlive() {
            if (!trusted(null)) {
                return;
            }
            connection.checkAliveAsync(limits.heartbeatTimeout(), alive -> {
                if (alive) {
                    awaitWork();
                } else {
                    connection.close();
                }
            });
        }

        /** On a worker: sends the request and receives its response, then waits for work again. */
        private void serve(CollectedRequest request) {
            workerTurn(() -> {
                if (closing) {
                    request.putBack(); // nothing of it was sent: another node or connection may still take it
                    end();
                    return After.CLOSE;
                }
                if (!trusted(request)) {
                    return After.CLOSE;
                }
                // A request goes out at once on a connection heard from just now that is open and quiet; otherwise
                // NEXT / PROCEED proves the subscriber is there first.
                if (!connection.readyForRequest(limits.heartbeatTimeout(), limits.heartbeatSkipWindow())) {
                    request.putBack();
                    return After.CLOSE;
                }
                return request.sending() ? exchange(request) : After.AWAIT_WORK;
            });
        }

        /**
         * Runs one turn of this connection on a worker, then lets the connection wait for work again if the turn says
         * it carries on, or closes it (also when the turn failed: logged, quietly if the connection is closed already).
         */
        private void workerTurn(Turn turn) {
            After after = After.CLOSE;
            try {
                after = turn.run();
            } catch (IOException e) {
                if (!connection.isClosed()) {
                    LOG.warn("Subscriber {} of {} failed: {}", connection, subscription, e.toString());
                }
            } catch (RuntimeException e) {
                LOG.error("Serving subscriber {} of {} failed unexpectedly; closing it", connection, subscription, e);
            } finally {
                switch (after) {
                    case AWAIT_WORK -> awaitWork();
                    case CLOSE -> connection.close();
                    case HELD -> { } // the response's streams give the connection back (streamsFinished)
                }
            }
        }

        /** @return what becomes of the connection after this exchange */
        private After exchange(CollectedRequest request) throws IOException {
            RequestExchange.Response response;
            HeldByStreams held = request.liveResponseStreams() ? new HeldByStreams() : null;
            try {
                response = held == null
                        ? exchange.call(connection, request.requestId(), request.request(), limits.responseTimeout())
                        : exchange.callStreaming(connection, request.requestId(), request.request(),
                                limits.responseTimeout(), live(request, held));
            } catch (ExchangeException e) {
                return exchangeFailed(request, e);
            }
            return completed(request, response, held);
        }

        /**
         * Hands the response to its caller. Decoded once, here: the caller in this process takes the decoded envelope
         * from the queue. With {@code held} (the queue takes live streams) and streams announced, the streams are read
         * from this connection by the caller (or skipped by the queue if the caller has given up), and the connection
         * is theirs until they are all read or discarded: no worker thread waits for that.
         */
        private After completed(CollectedRequest request, RequestExchange.Response response, HeldByStreams held) {
            if (held == null || response.streams().isEmpty()) {
                request.complete(response.received());
                return After.AWAIT_WORK; // no streams, or stored ones: the connection is idle again
            }
            held.hold();
            request.complete(response.received()); // may discard (skip) them at once: then held carries on from here
            return After.HELD;
        }

        /**
         * How the caller reads the streams of {@code request}'s response: a failed read names the subscriber, and each
         * read waits at most the caller's own response timeout (the listener's, if the queue does not know it).
         */
        private RequestExchange.LiveStreams live(CollectedRequest request, HeldByStreams held) {
            if (peer == null) {
                peer = "the polling service host of " + subscription + " (" + connection.description()
                        + ", certificate " + connection.remoteThumbprint() + ")";
            }
            return new RequestExchange.LiveStreams(peer,
                    request.callerResponseTimeout().orElse(limits.responseTimeout()), held);
        }

        /**
         * Called once, by whoever finished the last stream of a response read live (the caller's thread as it read
         * the last byte or closed the stream, a thread that discarded it, the garbage collector's cleaner for a
         * stream dropped unread, or the thread whose read failed): the connection waits for work again if every
         * stream came off it in order, else it is closed (its service host connects again). Never blocks.
         */
        private void streamsFinished(boolean connectionReusable) {
            heldByCaller = false;
            if (!connectionReusable) {
                LOG.debug("Closing subscriber {} of {}: a response stream failed or was dropped unread", connection,
                        subscription);
                connection.close();
                return;
            }
            try {
                awaitWork(); // re-arms the keep-alive; under close, ends the connection with END
            } catch (RuntimeException e) {
                // Not thrown into the caller's read, which has its bytes: the connection is what failed here.
                LOG.error("Serving subscriber {} of {} failed unexpectedly after a response's streams were read;"
                        + " closing it", connection, subscription, e);
                connection.close();
            }
        }

        /**
         * The connection is the streams' of one response read live ({@link RequestExchange.StreamsFinished}); told
         * when they no longer need it. Ignores the call {@code callStreaming} makes before it returns for a response
         * without streams (nothing was held).
         */
        private final class HeldByStreams implements RequestExchange.StreamsFinished {
            private final AtomicBoolean holding = new AtomicBoolean();

            /** Before the streams are handed out: from now on their end decides what becomes of the connection. */
            void hold() {
                heldByCaller = true;
                holding.set(true);
                synchronized (ended) {
                    ended.notifyAll(); // a closing runtime does not wait for a connection a caller holds
                }
            }

            @Override
            public void finished(boolean connectionReusable) {
                if (holding.compareAndSet(true, false)) {
                    streamsFinished(connectionReusable);
                }
            }
        }

        /**
         * What a failed exchange means for its request (put back unread, or failed with a reason) and the connection.
         *
         * @return {@link After#AWAIT_WORK} when nothing was written (the connection carries on), else
         *         {@link After#CLOSE}
         * @throws IOException the connection failed, as it reported it: the caller closes it
         */
        private After exchangeFailed(CollectedRequest request, ExchangeException e) throws IOException {
            if (!e.kind().mayHaveRun() && e.kind() != ExchangeException.Kind.NOT_SENT
                    && e.kind() != ExchangeException.Kind.STREAM_SOURCE_FAILED
                    && request.request().streams().isEmpty()) {
                // The subscriber never read it (it ended the connection first, or answered END in its place):
                // it did not run, so another connection may take it (protocol.md, section 5). Not a request
                // with streams: those may have been read from their source already, and cannot go again.
                LOG.info("Subscriber {} of {} ended the connection before it read request {} ({}); the request"
                        + " goes back to the queue", connection, subscription, request.requestId(), e.getMessage());
                request.putBackUnread("the polling service host ended the connection without reading the request ("
                        + e.getCause() + ")");
                return After.CLOSE;
            }
            request.fail(switch (e.kind()) {
                case NOT_SENT, STREAM_SOURCE_FAILED -> e.getCause().getMessage();
                case RESPONSE_STREAM_ABORTED -> "the polling service host could not send its response: "
                        + e.getCause().getMessage();
                case NOT_WRITTEN, NOT_DELIVERED, REFUSED_UNREAD -> "the polling service host ended the connection"
                        + " before it read the request's streams (" + e.getCause() + ")";
                // The caller's own wait ends about now too; whichever notices first, the caller is told the same.
                case NO_RESPONSE -> "collected, but no response came within " + limits.responseTimeout()
                        + " (responseTimeout)";
                case PROTOCOL_ERROR, CONNECTION_LOST ->
                        "the polling service host's connection failed after the request was sent (" + e.getCause() + ")";
            });
            if (e.kind().connectionReusable()) {
                return After.AWAIT_WORK; // nothing was written: the connection carries on
            }
            throw e.getCause(); // as the connection reported it
        }

        /**
         * The fast path, on the thread that completed the take (the caller that queued the request, or the event loop
         * re-arming this wait): a small request without streams, from a queue whose steps never block, on a
         * connection heard from within the heartbeat skip window and open, quiet and writable, is marked sent and
         * written from here, and its response is taken on the event loop ({@link #responseReadable}); no worker
         * thread, no hand-off. Everything else, and any request or response that turns out not to be the common case
         * (a response announcing streams, END in its place, a failure, a timeout), goes to a worker as before, which
         * applies the same rules as the slow path ({@link #exchangeFailed}) and hands a response's streams on as it
         * does ({@link #completed}).
         *
         * @return {@code false} when nothing was done: the caller hands the request to {@link #serve} on a worker
         */
        private boolean serveDirectly(CollectedRequest request) {
            if (!request.nonBlocking() || closing) {
                return false;
            }
            dev.halibut.EncodedMessage message = request.request();
            if (!message.streams().isEmpty() || message.bson().length > DIRECT_MAX_BYTES
                    || !trust.isTrusted(connection.remoteThumbprint())
                    || connection.readinessWithoutCheck(limits.heartbeatSkipWindow()) != Connection.Readiness.READY) {
                return false; // serve() says why, checks liveness with NEXT / PROCEED, or sends it with its streams
            }
            if (!request.sending()) {
                awaitWork(); // the caller gave up meanwhile: nothing was sent
                return true;
            }
            try {
                connection.sendRequestThenOnReadable(message.bson(), limits.responseTimeout(),
                        readable -> responseReadable(request, readable));
            } catch (IOException e) {
                finishOnWorker(request, null, e);
            } catch (RuntimeException e) {
                // Not left unanswered: this runs in the take's completion, which would swallow the exception and leave
                // the request SENT with nobody watching for its response (its caller waiting the whole response
                // timeout). The connection reports its own close as an IOException (a close by another thread after
                // the checks above once surfaced as the compressor's IllegalStateException; Connection.messageFrame
                // now says "closed"); anything else is a fault whose extent is not known here, so "may have run".
                finishOnWorker(request, null, new IOException("Sending request " + request.requestId() + " on "
                        + connection + " failed: " + e, e));
            }
            return true;
        }

        /** On the event loop: the response (or the connection's end, or the response timeout) of a direct request. */
        private void responseReadable(CollectedRequest request, boolean readable) {
            if (!readable) {
                finishOnWorker(request, null, new java.net.SocketTimeoutException("Nothing arrived on the " + connection
                        + " within " + limits.responseTimeout()));
                return;
            }
            Frame f;
            try {
                f = connection.pollFrame(); // never wait here: the event loop is what delivers the frame
            } catch (IOException e) {
                finishOnWorker(request, null, e);
                return;
            }
            if (f == null) {
                // Not expected (a wake comes only for what arrived after the wait was registered); waiting again is
                // right and cannot spin: the next wake needs a frame or the connection's end.
                connection.onReadable(limits.responseTimeout(), again -> responseReadable(request, again));
                return;
            }
            RequestExchange.Response response;
            try {
                response = exchange.responseWithoutStreams(connection, request.requestId(), f);
            } catch (RuntimeException e) {
                request.fail("the listener failed to take the polling service host's response (" + e + ")");
                LOG.error("Serving subscriber {} of {} failed unexpectedly; closing it", connection, subscription, e);
                connection.close();
                return;
            }
            if (response == null) {
                finishOnWorker(request, f, null); // not the common case: the worker sees what it is
                return;
            }
            // The caller is woken once this connection waits again: its next request then finds it waiting and goes
            // the direct way from the caller's thread (woken first, the caller could queue it before, and it would be
            // taken as a backlog, the worker way). From the event loop, the keep-alive timer is set without waking
            // another thread. Decoded once, here, as by exchange().
            ReceivedMessage received = response.received();
            awaitWork(() -> request.complete(received));
        }

        private static void runFirst(Runnable first) {
            if (first != null) {
                first.run();
            }
        }

        /**
         * On a worker: the rest of a direct request that is not the common case, by the slow path's rules. Exactly one
         * of {@code frame} (the first frame after the request) and {@code failure} (what the send or the wait threw).
         */
        private void finishOnWorker(CollectedRequest request, Frame frame, IOException failure) {
            Runnable finish = () -> workerTurn(() -> {
                if (failure != null) {
                    return exchangeFailed(request, exchange.failure(connection, failure));
                }
                RequestExchange.Response response;
                HeldByStreams held = request.liveResponseStreams() ? new HeldByStreams() : null;
                try {
                    response = held == null
                            ? exchange.responseFrom(connection, request.requestId(), frame, limits.responseTimeout())
                            : exchange.responseFromStreaming(connection, request.requestId(), frame,
                                    limits.responseTimeout(), live(request, held));
                } catch (ExchangeException e) {
                    return exchangeFailed(request, e);
                }
                return completed(request, response, held);
            });
            try {
                workers.execute(finish);
            } catch (RejectedExecutionException e) {
                request.fail("the listener closed while the request was with the polling service host");
                connection.close(); // the listener is shutting down
            }
        }

        /**
         * Ends the connection with END (putting {@code request} back) if the subscriber's certificate is no longer
         * trusted: a deliberate ending; its next connection fails the handshake.
         */
        private boolean trusted(CollectedRequest request) {
            if (trust.isTrusted(connection.remoteThumbprint())) {
                return true;
            }
            LOG.warn("Closing subscriber {} of {}: its certificate {} is no longer trusted", connection,
                    subscription, connection.remoteThumbprint());
            if (request != null) {
                request.putBack();
            }
            connection.closeGracefully();
            return false;
        }
    }

    /** One turn of a connection on a worker ({@code Session.workerTurn}). */
    private interface Turn {
        /** @return what becomes of the connection after the turn */
        After run() throws IOException;
    }

    /** What becomes of a connection after a turn on a worker. */
    private enum After {
        /** It carries on: it waits for work again. */
        AWAIT_WORK,
        /** It ended (or failed): it is closed. */
        CLOSE,
        /** A caller reads the response's streams from it: their end decides ({@code Session.streamsFinished}). */
        HELD
    }

    /**
     * One wait for work: the queue's take, the watch on the connection and the keep-alive timer. The first of them
     * (or the runtime's close, or the connection's end) decides; the others are stopped.
     */
    private static final class Wait {
        private final AtomicBoolean decided = new AtomicBoolean();
        /** Run once: when the wait is set up, or before whatever decides it acts (see awaitWork(Runnable)). */
        private final java.util.concurrent.atomic.AtomicReference<Runnable> first;
        volatile CompletableFuture<CollectedRequest> take;
        volatile Connection.ReadableWatch watch;
        volatile Future<?> keepAlive;

        Wait(Runnable first) {
            this.first = first == null ? null : new java.util.concurrent.atomic.AtomicReference<>(first);
        }

        void runFirst() {
            Runnable f = first == null ? null : first.getAndSet(null);
            if (f != null) {
                f.run();
            }
        }

        /** @return whether the caller decided this wait (and stopped the rest), after running {@code first} */
        boolean decide() {
            if (!decided.compareAndSet(false, true)) {
                return false;
            }
            runFirst();
            CompletableFuture<CollectedRequest> t = take;
            if (t != null) {
                t.cancel(false);
            }
            Connection.ReadableWatch w = watch;
            if (w != null) {
                w.cancel();
            }
            Future<?> k = keepAlive;
            if (k != null) {
                k.cancel(false);
            }
            return true;
        }
    }
}
