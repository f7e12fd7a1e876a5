package dev.halibut.polling.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.transport.Connection;
import dev.halibut.transport.StoppableWait;
import dev.halibut.transport.TlsConnector;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service-host side of one polling connection: connects to the listener as a subscriber, runs the
 * requests it is sent, and reconnects with bounded, jittered backoff (100 ms doubling to 10 s) whenever
 * the listener is down or the connection drops. The listener's certificate is checked against the
 * endpoint's thumbprint on every connection. Owns one thread (a daemon: a service call that ignores
 * interruption must not keep the JVM alive) and at most one connection.
 */
public final class Poller implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Poller.class);
    private static final long MAX_BACKOFF_MS = 10_000;
    /** How long {@link #close()} waits for the thread once the connection is aborted. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final TlsConnector connector;
    private final ServiceEndPoint listener;
    private final URI subscription;
    private final HalibutLimits limits;
    private final RequestHandler handler;
    private final Thread thread;
    private final StoppableWait backoff = new StoppableWait();
    private volatile boolean stopped;
    private volatile Connection connection;

    public Poller(TlsConnector connector, ServiceEndPoint listener, URI subscription, HalibutLimits limits,
                  RequestHandler handler, String threadName) {
        if (listener.isPolling()) {
            throw new IllegalArgumentException("A poller connects to a listening endpoint (https://... or wss://...), not to "
                    + listener.baseUri());
        }
        this.connector = connector;
        this.listener = listener;
        this.subscription = subscription;
        // One attempt per connect: the poller's own loop retries, forever, with its own backoff.
        this.limits = limits.withConnectAttempts(1);
        this.handler = handler;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Whether a connection to the listener is established now. */
    public boolean isConnected() {
        return connection != null;
    }

    private void run() {
        int failures = 0;
        while (!stopped) {
            Connection c;
            try {
                c = connector.connect(listener, Identification.subscriber(subscription), limits);
            } catch (HalibutClientException e) {
                if (stopped) {
                    return;
                }
                failures++;
                if (failures == 1 || failures % 10 == 0) {
                    LOG.warn("Polling {} for {} cannot connect (attempt {}): {}", listener.baseUri(), subscription,
                            failures, e.getMessage());
                }
                backOff(failures);
                continue;
            } catch (RuntimeException e) {
                // A bug, not a refusal; the subscription must not stop polling for good because of one connect.
                if (stopped) {
                    return;
                }
                failures++;
                LOG.error("Polling {} for {}: connecting failed unexpectedly (attempt {}); retrying", listener.baseUri(),
                        subscription, failures, e);
                backOff(failures);
                continue;
            }
            failures = 0;
            connection = c;
            if (stopped) {
                c.close();
                connection = null;
                return;
            }
            Duration silenceLimit = null;
            try {
                // The listener's own keep-alive settings, from its identification answer (ours if it sent none).
                silenceLimit = KeepAliveSettings.announcedIn(c.peerIdentification(), limits).silenceLimit();
                LOG.info("Polling {} for {}", listener.baseUri(), subscription);
                serve(c, silenceLimit);
                if (!stopped) {
                    LOG.info("The listener {} ended the polling connection for {} (END); reconnecting",
                            listener.baseUri(), subscription);
                }
            } catch (EOFException e) {
                // Between frames, without END (protocol.md, section 3): the listener went away; nothing was lost.
                LOG.info("The listener {} closed the polling connection for {} without END; reconnecting",
                        listener.baseUri(), subscription);
            } catch (SocketTimeoutException e) {
                LOG.warn("The listener {} sent nothing for {} (its keep-alive + heartbeat timeout + {}); the connection"
                        + " is dead, reconnecting", listener.baseUri(), silenceLimit, KeepAliveSettings.MARGIN);
            } catch (ProtocolException e) {
                LOG.warn("The listener {} broke the protocol ({}); reconnecting", listener.baseUri(), e.getMessage());
            } catch (IOException e) {
                if (!stopped) {
                    LOG.warn("Polling connection to {} for {} failed: {}; reconnecting", listener.baseUri(),
                            subscription, e.toString());
                }
            } finally {
                connection = null;
                c.close();
            }
            backOff(1);
        }
    }

    /**
     * Serves the listener's frames until END, or {@code silenceLimit} without any: the listener sends NEXT at
     * least every keep-alive interval, so a longer silence means a dead connection.
     */
    private void serve(Connection c, Duration silenceLimit) throws IOException {
        while (!stopped) {
            Frame f = c.readFrame(silenceLimit);
            switch (f.type()) {
                case NEXT -> c.sendControl(FrameType.PROCEED);
                case REQUEST -> handler.serve(c, f);
                case END -> {
                    return;
                }
                default -> throw new ProtocolException("A listener sent a " + f.type()
                        + " frame, which only a polling service host may send");
            }
        }
    }

    private void backOff(int failures) {
        long base = Math.min(MAX_BACKOFF_MS, 100L << Math.min(failures - 1, 10));
        // Jitter, so that thousands of pollers do not reconnect in step after a listener restart.
        long waitMs = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        try {
            backoff.await(TimeUnit.MILLISECONDS.toNanos(waitMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops polling without waiting: no new connection is made, a backoff ends at once, and the thread ends
     * once the request it is serving, if any, is answered. The connection stays open for that answer; the
     * thread is not interrupted here (the owner of the services decides how to stop a running call).
     */
    public void stop() {
        stopped = true;
        backoff.stop();
    }

    /**
     * Stops polling and closes the connection now, without waiting: a request being served loses its
     * response, and a blocked read or write of the thread fails at once.
     */
    public void abort() {
        stop();
        Connection c = connection;
        if (c != null) {
            c.abort();
        }
    }

    /**
     * Waits at most {@code timeout} for the thread to end (after {@link #stop()} or {@link #abort()}).
     *
     * @return whether it has ended; it has not if a service call on it ignores interruption
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        if (Thread.currentThread() == thread) {
            return false; // called from a service running on this poller: it ends when that call returns
        }
        long nanos = timeout.toNanos();
        if (nanos > 0) {
            TimeUnit.NANOSECONDS.timedJoin(thread, nanos);
        }
        return !thread.isAlive();
    }

    /** The name of the poller's thread, for messages about a thread that outlives its poller. */
    public String threadName() {
        return thread.getName();
    }

    /**
     * Stops polling: {@link #abort()}, then waits up to {@link #CLOSE_WAIT} for the thread. Does not interrupt
     * a service call running on the thread; a runtime does that before it aborts its pollers.
     */
    @Override
    public void close() {
        abort();
        try {
            if (!awaitTermination(CLOSE_WAIT)) {
                LOG.warn("Poller thread {} did not end within {} of close(): a request it serves ignores interruption;"
                        + " it ends when that call returns (its response is dropped)", thread.getName(), CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
