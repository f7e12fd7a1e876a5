package dev.halibut.polling.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.transport.Connection;
import dev.halibut.transport.TlsConnector;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service-host side of one polling connection: connects to the listener as a subscriber, runs the
 * requests it is sent, and reconnects with bounded, jittered backoff (100 ms doubling to 10 s) whenever
 * the listener is down or the connection drops. The listener's certificate is checked against the
 * endpoint's thumbprint on every connection. Owns at most one connection and no thread of its own:
 * <ul>
 *   <li>while it waits for the listener's next frame it holds no thread: the connection's event loop calls it back
 *       ({@link Connection#onReadable}) when a frame arrives, the connection ends, or the listener has been silent
 *       for longer than its announced keep-alive allows ({@link KeepAliveSettings#silenceLimit()});</li>
 *   <li>the listener's NEXT is answered with PROCEED on the event loop, at once;</li>
 *   <li>a connect holds no thread either: it waits for one of the runtime's {@link PollingWorkers#MAX_CONNECTING}
 *       connect slots (a count, not a thread), then its TCP connect, TLS handshake and identification run on the event
 *       loops ({@link TlsConnector#connectAsync}); only its brief steps, resolving the listener's host name and taking
 *       the outcome, run on a thread of the runtime's {@link PollingWorkers};</li>
 *   <li>a REQUEST is served on a thread of the runtime's {@link PollingWorkers}, which goes back to the pool
 *       afterwards.</li>
 * </ul>
 * So thousands of idle polling connections cost a service host a few event-loop threads, not a thread each, and so
 * do thousands of connects to a listener that answers slowly or not at all.
 */
public final class Poller implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Poller.class);
    private static final long MAX_BACKOFF_MS = 10_000;
    /** How long {@link #close()} waits for the poller to end once the connection is aborted. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    private static final CompletableFuture<Void> NOTHING = CompletableFuture.completedFuture(null);

    private final TlsConnector connector;
    private final ServiceEndPoint listener;
    private final URI subscription;
    private final HalibutLimits limits;
    private final RequestHandler handler;
    private final PollingWorkers workers;
    private final String name;
    /** Counted down once, when the poller has stopped and nothing of it runs any more. */
    private final CountDownLatch ended = new CountDownLatch(1);
    /** Guards the hand-over between {@link #stop()} and the steps that start something new. */
    private final Object lock = new Object();
    private volatile boolean stopped;
    private boolean started;
    /** The connection while one is established (also while a request is served on it). */
    private volatile Connection connection;
    /** Whether a connect is queued for a free connect slot ({@link PollingWorkers#connect}). Guarded by {@link #lock}. */
    private boolean waitingToConnect;
    /** The pending reconnect after a backoff, if any. Guarded by {@link #lock}. */
    private Future<?> reconnect;
    /** The connect under way, if any; {@link #stop()} cancels it. Guarded by {@link #lock}. */
    private CompletableFuture<Connection> connecting;
    /** The worker thread serving a request for this poller now, if any. */
    private volatile Thread busyOn;
    /**
     * Connect failures in a row, for the backoff and for the log. Only the end of a connect touches it, and one connect
     * at a time runs (each starts after the previous one's end).
     */
    private int failures;

    /**
     * @param name the poller's name in messages (and of the thread, if one outlives {@link #close()})
     */
    public Poller(TlsConnector connector, ServiceEndPoint listener, URI subscription, HalibutLimits limits,
                  RequestHandler handler, PollingWorkers workers, String name) {
        if (listener.isPolling()) {
            throw new IllegalArgumentException("A poller connects to a listening endpoint (https://... or wss://...), not to "
                    + listener.baseUri());
        }
        this.connector = connector;
        this.listener = listener;
        this.subscription = subscription;
        // One attempt per connect: the poller retries, forever, with its own backoff.
        this.limits = limits.withConnectAttempts(1);
        this.handler = handler;
        this.workers = workers;
        this.name = name;
    }

    /** Starts connecting; once only. */
    public void start() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException(name + " is started already");
            }
            started = true;
            if (stopped) {
                end();
                return;
            }
        }
        connectSoon();
    }

    /** Queues a connect with the workers (it waits, without a thread, for a free connect slot). */
    private void connectSoon() {
        synchronized (lock) {
            waitingToConnect = true;
        }
        workers.connect(this::connect, this::end); // rejected: the runtime is closing
    }

    /**
     * Once a connect slot is free: starts one connect attempt, which holds no thread; the slot is the poller's until
     * the returned stage completes, after the attempt's outcome was taken ({@link #connectEnded}, on a worker).
     */
    private CompletableFuture<?> connect() {
        CompletableFuture<Connection> attempt;
        synchronized (lock) {
            waitingToConnect = false;
            if (stopped) {
                end();
                return NOTHING;
            }
            try {
                attempt = connector.connectAsync(listener, Identification.subscriber(subscription), limits,
                        workers.connectSteps());
            } catch (RuntimeException e) {
                attempt = CompletableFuture.failedFuture(e); // a bug: handled below as any unexpected failure
            }
            connecting = attempt;
        }
        CompletableFuture<Connection> started = attempt;
        return started.whenComplete((c, failure) -> connectEnded(started, c, failure));
    }

    /** Whether a connection to the listener is established now. */
    public boolean isConnected() {
        return connection != null;
    }

    /** On a worker (or where {@link #stop()} cancelled it): a connect's outcome; waits for frames, or backs off. */
    private void connectEnded(CompletableFuture<Connection> attempt, Connection c, Throwable failure) {
        synchronized (lock) {
            if (connecting == attempt) {
                connecting = null;
            }
        }
        if (failure != null) {
            connectFailed(failure instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : failure);
            return;
        }
        connected(c);
    }

    private void connectFailed(Throwable failure) {
        if (stopped) {
            end(); // also the cancellation by stop()
            return;
        }
        failures++;
        if (failure instanceof HalibutClientException e) {
            if (failures == 1 || failures % 10 == 0) {
                LOG.warn("Polling {} for {} cannot connect (attempt {}): {}", listener.baseUri(), subscription,
                        failures, e.getMessage());
            }
        } else {
            // A bug, not a refusal; the subscription must not stop polling for good because of one connect.
            LOG.error("Polling {} for {}: connecting failed unexpectedly (attempt {}); retrying", listener.baseUri(),
                    subscription, failures, failure);
        }
        reconnectLater(failures);
    }

    /** An identified connection to the listener: waits for its frames. */
    private void connected(Connection c) {
        failures = 0;
        Duration silenceLimit;
        try {
            // The listener's own keep-alive settings, from its identification answer (ours if it sent none).
            silenceLimit = KeepAliveSettings.announcedIn(c.peerIdentification(), limits).silenceLimit();
        } catch (ProtocolException e) {
            LOG.warn("The listener {} broke the protocol ({}); reconnecting", listener.baseUri(), e.getMessage());
            c.close();
            reconnectLater(1);
            return;
        }
        synchronized (lock) {
            if (stopped) {
                c.close();
                end();
                return;
            }
            connection = c;
        }
        LOG.info("Polling {} for {}", listener.baseUri(), subscription);
        awaitFrame(c, silenceLimit);
    }

    /**
     * Waits, without a thread, for the listener's next frame: it sends NEXT at least every keep-alive interval, so
     * {@code silenceLimit} without any means a dead connection.
     */
    private void awaitFrame(Connection c, Duration silenceLimit) {
        c.onReadable(silenceLimit, readable -> {
            try {
                onReadable(c, silenceLimit, readable);
            } catch (RuntimeException e) {
                // A bug, not the listener's doing: the subscription must not stop polling for good because of it.
                LOG.error("Polling {} for {}: handling a frame failed unexpectedly; reconnecting", listener.baseUri(),
                        subscription, e);
                disconnected(c);
            }
        });
    }

    /** On the event loop: never blocks; a request goes to a worker. */
    private void onReadable(Connection c, Duration silenceLimit, boolean readable) {
        if (!readable) {
            if (!stopped) {
                LOG.warn("The listener {} sent nothing for {} (its keep-alive + heartbeat timeout + {}); the connection"
                        + " is dead, reconnecting", listener.baseUri(), silenceLimit, KeepAliveSettings.MARGIN);
            }
            disconnected(c);
            return;
        }
        Frame f;
        try {
            f = c.pollFrame();
        } catch (IOException e) {
            connectionFailed(c, e);
            return;
        }
        if (f == null) {
            awaitFrame(c, silenceLimit); // taken by nobody else here; an empty wake-up: wait again
            return;
        }
        switch (f.type()) {
            case NEXT -> {
                if (stopped) {
                    // No PROCEED once stopped: the listener's liveness check fails and it hands its request elsewhere,
                    // instead of sending it to a connection about to close.
                    disconnected(c);
                } else if (c.sendControlNow(FrameType.PROCEED)) {
                    awaitFrame(c, silenceLimit);
                } else {
                    LOG.warn("Polling connection to {} for {} cannot take PROCEED (closed, failed, or the listener reads"
                            + " nothing); reconnecting", listener.baseUri(), subscription);
                    disconnected(c);
                }
            }
            case REQUEST -> {
                try {
                    workers.execute(() -> serve(c, f, silenceLimit));
                } catch (RejectedExecutionException e) {
                    // The runtime is closing: the request is not read, the listener sees the connection end.
                    disconnected(c);
                }
            }
            case END -> {
                if (!stopped) {
                    LOG.info("The listener {} ended the polling connection for {} (END); reconnecting",
                            listener.baseUri(), subscription);
                }
                disconnected(c);
            }
            default -> {
                LOG.warn("The listener {} broke the protocol (A listener sent a {} frame, which only a polling service"
                        + " host may send); reconnecting", listener.baseUri(), f.type());
                disconnected(c);
            }
        }
    }

    /** On a worker: serves one request, then waits for the next frame (or ends, once stopped). */
    private void serve(Connection c, Frame request, Duration silenceLimit) {
        busyOn = Thread.currentThread();
        try {
            handler.serve(c, request);
        } catch (IOException e) {
            connectionFailed(c, e);
            return;
        } catch (RuntimeException e) {
            LOG.error("Polling {} for {}: serving a request failed unexpectedly; reconnecting", listener.baseUri(),
                    subscription, e);
            disconnected(c);
            return;
        } finally {
            busyOn = null;
        }
        if (stopped) {
            disconnected(c);
        } else {
            awaitFrame(c, silenceLimit);
        }
    }

    private void connectionFailed(Connection c, IOException e) {
        if (e instanceof EOFException) {
            // Between frames, without END (protocol.md, section 3): the listener went away; nothing was lost.
            if (!stopped) {
                LOG.info("The listener {} closed the polling connection for {} without END; reconnecting",
                        listener.baseUri(), subscription);
            }
        } else if (e instanceof ProtocolException) {
            LOG.warn("The listener {} broke the protocol ({}); reconnecting", listener.baseUri(), e.getMessage());
        } else if (!stopped) {
            LOG.warn("Polling connection to {} for {} failed: {}; reconnecting", listener.baseUri(), subscription,
                    e.toString());
        }
        disconnected(c);
    }

    /** The connection is over: closes it, then reconnects after a short backoff, or ends once stopped. */
    private void disconnected(Connection c) {
        connection = null;
        c.close();
        reconnectLater(1);
    }

    /** Connects again after the jittered backoff for {@code failures}; ends instead when stopped. */
    private void reconnectLater(int failures) {
        long base = Math.min(MAX_BACKOFF_MS, 100L << Math.min(failures - 1, 10));
        // Jitter, so that thousands of pollers do not reconnect in step after a listener restart.
        long waitMs = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        synchronized (lock) {
            if (stopped) {
                end();
                return;
            }
            try {
                reconnect = workers.after(Duration.ofMillis(waitMs), this::connectSoon);
            } catch (RejectedExecutionException e) {
                end(); // the runtime is closing
            }
        }
    }

    /** Nothing of this poller runs any more. */
    private void end() {
        connection = null;
        ended.countDown();
    }

    /**
     * Stops polling without waiting: no new connection is made, a backoff or a connect under way ends at once (its
     * channel closed), and the poller ends once
     * the request it is serving, if any, is answered (the connection stays open for that answer), or when the
     * listener's next frame arrives on an idle connection (then without PROCEED), or at {@link #abort()}. The thread
     * serving a request is not interrupted here (the owner of the services decides how to stop a running call).
     */
    public void stop() {
        CompletableFuture<Connection> pending;
        synchronized (lock) {
            stopped = true;
            if (reconnect != null && reconnect.cancel(false)) {
                end();
            }
            if (waitingToConnect) {
                end(); // its connect, when its slot comes, finds it stopped and does nothing
            }
            if (!started) {
                end();
            }
            pending = connecting;
        }
        if (pending != null) {
            pending.cancel(false); // outside the lock: the poller ends in connectEnded, which the cancellation runs
        }
    }

    /**
     * Stops polling and closes the connection now, without waiting: a request being served loses its
     * response, and a blocked read or write of its thread fails at once.
     */
    public void abort() {
        stop();
        Connection c = connection;
        if (c != null) {
            c.abort(); // an idle connection's wait is called back at once, and the poller ends there
        }
    }

    /**
     * Waits at most {@code timeout} for the poller to end (after {@link #stop()} or {@link #abort()}).
     *
     * @return whether it has ended; it has not if a service call it serves ignores interruption
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        if (Thread.currentThread() == busyOn) {
            return false; // called from a service running on this poller: it ends when that call returns
        }
        return ended.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
    }

    /**
     * The name of the thread serving a request for this poller now (for messages about a call that outlives its
     * poller), or the poller's own name when none does.
     */
    public String threadName() {
        Thread t = busyOn;
        return t != null ? t.getName() : name;
    }

    /**
     * Stops polling: {@link #abort()}, then waits up to {@link #CLOSE_WAIT} for the poller to end. Does not
     * interrupt a service call it serves; a runtime does that before it aborts its pollers.
     */
    @Override
    public void close() {
        abort();
        try {
            if (!awaitTermination(CLOSE_WAIT)) {
                LOG.warn("Poller {} did not end within {} of close(): a request it serves on {} ignores interruption;"
                        + " it ends when that call returns (its response is dropped)", name, CLOSE_WAIT, threadName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
