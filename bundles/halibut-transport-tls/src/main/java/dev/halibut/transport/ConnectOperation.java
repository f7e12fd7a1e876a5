package dev.halibut.transport;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.Identification;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connect of a {@link TlsConnector}, from its first attempt to its outcome, holding no thread in between. An
 * attempt starts on the connect's executor ({@code steps}), because resolving the host name is the one step that may
 * block; its TCP connect, proxy CONNECT, TLS handshake, WebSocket upgrade and identification run on the connect's
 * event loop, and so does its end. The back-off before the next attempt is a timer on that loop. The outcome (the
 * connector's listener told, then {@link #future()} completed) is handed to {@code steps} too, so neither the
 * listener nor what waits on the future runs on an event loop.
 *
 * <p>Retry rules (the same as ever): up to {@link HalibutLimits#connectAttempts()} attempts within
 * {@link HalibutLimits#connectRetryWindow()}, each bounded by {@link HalibutLimits#connectTimeout()} and by what is left
 * of the window, with a back-off of 100 ms doubling to at most 5 s between them; failures that another attempt cannot
 * change ({@link TlsConnector.NotRetriable}) end the connect at once.
 *
 * <p>It ends once: when an attempt succeeds, when it gives up, when its connector closes ({@link #abandon()}), when
 * its future is cancelled, or, for a blocking {@link TlsConnector#connect}, when the waiting thread is interrupted
 * during a back-off ({@link #interrupt()}). Ending closes the channel of an attempt under way and cancels its timer.
 */
final class ConnectOperation {

    /** The connector's logger: an attempt's failure is the connector's news. */
    private static final Logger LOG = LoggerFactory.getLogger(TlsConnector.class);
    private static final long MAX_BACKOFF_MS = 5000;

    private final TlsConnector connector;
    private final ServiceEndPoint endpoint;
    private final Identification self;
    private final HalibutLimits limits;
    private final Executor steps;
    private final EventLoop loop;
    private final Result future = new Result();
    private final long start = System.nanoTime();
    private final long deadline;

    // Guarded by this. Each step runs on one thread at a time, but ending comes from anywhere (close, cancel).
    private int attempt;
    private IOException last;
    /** The channel of the attempt under way, if any (not the identified connection's once it succeeded). */
    private Channel channel;
    /** The attempt's timeout, or the back-off's timer. */
    private Future<?> timer;
    private boolean backingOff;
    /** The blocking caller was interrupted: the next back-off ends the connect instead of waiting. */
    private boolean interrupted;
    private boolean done;

    /**
     * @param steps runs each attempt's start and the outcome; must not run them on an event loop
     * @param loop  where the attempts' channels and the timers live
     */
    ConnectOperation(TlsConnector connector, ServiceEndPoint endpoint, Identification self, HalibutLimits limits,
                     Executor steps, EventLoop loop) {
        this.connector = connector;
        this.endpoint = endpoint;
        this.self = self;
        this.limits = limits;
        this.steps = steps;
        this.loop = loop;
        this.deadline = start + limits.connectRetryWindow().toNanos();
    }

    /** Completed on {@code steps} with the identified connection or the failure; cancelling it ends the connect. */
    CompletableFuture<Connection> future() {
        return future;
    }

    /** Starts the first attempt (on {@code steps}). */
    void start() {
        step(this::attempt);
    }

    /** Runs {@code step} on {@code steps}; a step that fails unexpectedly (a bug) ends the connect with its failure. */
    private void step(Runnable step) {
        try {
            steps.execute(() -> {
                try {
                    step.run();
                } catch (RuntimeException | Error e) {
                    // A bug, not a refusal: whoever waits on the future sees it (a blocking connect throws it).
                    if (end()) {
                        future.completeExceptionally(e);
                    } else {
                        LOG.error("Connecting to {} failed unexpectedly after the connect had ended", endpoint.baseUri(), e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            fail(connector.abandoned(endpoint)); // the owner of the executor is closing
        }
    }

    /** On {@code steps}: resolves the address and starts one attempt, unless the connect is over or out of time. */
    private void attempt() {
        if (connector.isClosed()) {
            fail(connector.abandoned(endpoint));
            return;
        }
        long remaining = deadline - System.nanoTime();
        int n;
        synchronized (this) {
            if (done) {
                return;
            }
            n = remaining > 0 ? ++attempt : attempt;
        }
        if (remaining <= 0) {
            giveUp();
            return;
        }
        Duration timeout = Duration.ofNanos(Math.min(limits.connectTimeout().toNanos(), remaining));
        Promise<Connection> result = loop.newPromise();
        Channel ch = connector.open(endpoint, self, limits, timeout, loop, result);
        Future<?> timeoutTimer;
        try {
            timeoutTimer = loop.schedule(() -> {
                result.tryFailure(connector.attemptTimedOut(endpoint, timeout));
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            if (ch != null) {
                Connection.closeNow(ch);
            }
            fail(connector.abandoned(endpoint)); // the connector's own loops are closed
            return;
        }
        boolean keep;
        synchronized (this) {
            keep = !done;
            if (keep) {
                channel = ch;
                timer = timeoutTimer;
            }
        }
        if (!keep) {
            timeoutTimer.cancel(false);
            if (ch != null) {
                Connection.closeNow(ch); // ended meanwhile (closed or cancelled): this attempt must not live on
            }
            return;
        }
        LOG.trace("Connect attempt {} to {} started", n, endpoint.baseUri());
        result.addListener(f -> attemptEnded(ch, result));
    }

    /** On the event loop: an attempt's outcome; succeeds, ends, or backs off for the next attempt. */
    private void attemptEnded(Channel ch, Promise<Connection> result) {
        Future<?> t;
        synchronized (this) {
            t = timer;
            timer = null;
            if (channel == ch) {
                channel = null;
            }
        }
        if (t != null) {
            t.cancel(false);
        }
        if (result.isSuccess()) {
            succeed(result.getNow());
            return;
        }
        if (ch != null) {
            Connection.closeNow(ch);
        }
        IOException e = connector.attemptFailure(endpoint, result.cause());
        if (e instanceof TlsConnector.NotRetriable nr) {
            fail(nr.exception);
            return;
        }
        int n;
        synchronized (this) {
            if (done) {
                return;
            }
            last = e;
            n = attempt;
        }
        LOG.debug("Connect attempt {} to {} failed: {}", n, endpoint.baseUri(), e.toString());
        if (n < limits.connectAttempts()) {
            backOff(n);
        } else {
            giveUp();
        }
    }

    /** On the event loop: waits 100 ms doubling, at most 5 s, never past the deadline, without a thread. */
    private void backOff(int attempts) {
        long waitNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_BACKOFF_MS, 100L << Math.min(attempts - 1, 10))),
                deadline - System.nanoTime());
        boolean wasInterrupted;
        synchronized (this) {
            if (done) {
                return;
            }
            wasInterrupted = interrupted;
            backingOff = !wasInterrupted;
        }
        if (wasInterrupted) {
            fail(interruptedWhileBackingOff());
            return;
        }
        Future<?> t;
        try {
            t = loop.schedule(() -> {
                synchronized (this) {
                    backingOff = false;
                    timer = null;
                }
                step(this::attempt);
            }, Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            fail(connector.abandoned(endpoint));
            return;
        }
        synchronized (this) {
            if (!done) {
                timer = t; // the timer cannot have fired yet: it runs on this loop, after this returns
                return;
            }
        }
        t.cancel(false);
    }

    /** Out of attempts or time: the failure names the endpoint, the attempts, the time and the last cause. */
    private void giveUp() {
        if (connector.isClosed()) {
            fail(connector.abandoned(endpoint));
            return;
        }
        int n;
        IOException cause;
        synchronized (this) {
            n = attempt;
            cause = last;
        }
        fail(connector.couldNotConnect(endpoint, n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), cause));
    }

    /**
     * The thread waiting in a blocking {@link TlsConnector#connect} was interrupted: as ever, an attempt under way is
     * not disturbed, but a back-off (now or the next one) ends the connect.
     */
    void interrupt() {
        boolean now;
        synchronized (this) {
            interrupted = true;
            now = backingOff && !done;
        }
        if (now) {
            fail(interruptedWhileBackingOff());
        }
    }

    private static HalibutClientException interruptedWhileBackingOff() {
        return new HalibutClientException("Interrupted while waiting to reconnect", new InterruptedException());
    }

    /** The connector closes: the connect ends with "abandoned", its attempt's channel closed, its timer cancelled. */
    void abandon() {
        fail(connector.abandoned(endpoint));
    }

    private void succeed(Connection c) {
        if (!end()) {
            c.close(); // ended meanwhile (closed or cancelled): nobody takes this connection
            return;
        }
        deliver(() -> {
            if (future.isDone()) {
                c.close(); // cancelled since
                return;
            }
            connector.tellConnected(endpoint, self, c);
            if (!future.complete(c)) {
                c.close();
            }
        }, () -> {
            c.close();
            future.completeExceptionally(connector.abandoned(endpoint));
        });
    }

    private void fail(HalibutClientException failure) {
        if (!end()) {
            return;
        }
        deliver(() -> {
            connector.tellConnectFailed(endpoint, self, failure);
            future.completeExceptionally(failure);
        }, () -> future.completeExceptionally(failure));
    }

    /** Hands the outcome to {@code steps}; if it takes no more work (its owner is closing), ends without telling. */
    private void deliver(Runnable outcome, Runnable rejected) {
        try {
            steps.execute(outcome);
        } catch (RejectedExecutionException e) {
            rejected.run();
        }
    }

    /**
     * Marks the connect over, once: closes its attempt's channel, cancels its timer and leaves the connector's
     * pending connects.
     *
     * @return whether this call ended it (false: it had ended already)
     */
    private boolean end() {
        Channel ch;
        Future<?> t;
        synchronized (this) {
            if (done) {
                return false;
            }
            done = true;
            backingOff = false;
            ch = channel;
            channel = null;
            t = timer;
            timer = null;
        }
        connector.ended(this);
        if (t != null) {
            t.cancel(false);
        }
        if (ch != null) {
            Connection.closeNow(ch);
        }
        return true;
    }

    /** Cancelling the future ends the connect (no listener is told: whoever cancelled it knows). */
    private final class Result extends CompletableFuture<Connection> {
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            end(); // first: what the cancellation sets off must not find the attempt's channel still open
            return super.cancel(mayInterruptIfRunning);
        }
    }
}
