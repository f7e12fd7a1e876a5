package dev.halibut.runtime.internal;

import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.internal.Poller;
import dev.halibut.runtime.PollingSubscription;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pollers of one {@code poll(...)} call and the service calls they run. Closing is bounded (see
 * {@link dev.halibut.runtime.HalibutRuntime#CLOSE_TIMEOUT}) and done in steps that the runtime's close
 * interleaves with its own: {@link #stop()}, {@link #awaitCalls}, {@link #abort()}, {@link #awaitPollers}.
 */
final class PollingSubscriptionImpl implements PollingSubscription {

    private static final Logger LOG = LoggerFactory.getLogger(PollingSubscriptionImpl.class);

    private final URI subscription;
    private final ServiceEndPoint listener;
    private final List<Poller> pollers;
    private final RunningCalls calls;
    private final Consumer<PollingSubscriptionImpl> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    PollingSubscriptionImpl(URI subscription, ServiceEndPoint listener, List<Poller> pollers, RunningCalls calls,
                            Consumer<PollingSubscriptionImpl> onClose) {
        this.subscription = subscription;
        this.listener = listener;
        this.pollers = List.copyOf(pollers);
        this.calls = calls;
        this.onClose = onClose;
    }

    @Override
    public URI subscription() {
        return subscription;
    }

    @Override
    public ServiceEndPoint listener() {
        return listener;
    }

    /** How many polling connections it keeps. */
    int connections() {
        return pollers.size();
    }

    @Override
    public int connectedCount() {
        return (int) pollers.stream().filter(Poller::isConnected).count();
    }

    /** Step 1: no new connection, no new call; running calls are interrupted. Does not wait. */
    void stop() {
        pollers.forEach(Poller::stop);
        calls.cancel();
    }

    /** Step 2: waits until the interrupted calls have answered, at most until {@code deadlineNanos}. */
    void awaitCalls(long deadlineNanos) throws InterruptedException {
        calls.awaitNone(deadlineNanos);
    }

    /** Step 3: closes the connections; a call still running loses its response. Does not wait. */
    void abort() {
        pollers.forEach(Poller::abort);
    }

    /**
     * Step 4: waits for the poller threads until {@code deadlineNanos}.
     *
     * @return the names of threads still running (service calls that ignore interruption)
     */
    List<String> awaitPollers(long deadlineNanos) throws InterruptedException {
        List<String> left = new ArrayList<>();
        for (Poller p : pollers) {
            if (!p.awaitTermination(java.time.Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())))) {
                left.add(p.threadName());
            }
        }
        onClose.accept(this);
        return left;
    }

    /**
     * Stops polling within {@link dev.halibut.runtime.HalibutRuntime#CLOSE_TIMEOUT}: interrupts the service calls
     * it runs, gives them half of that to answer, then closes its connections and waits for its threads.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CloseDeadlines deadlines = CloseDeadlines.startingNow();
        stop();
        List<String> left = List.of();
        try {
            awaitCalls(deadlines.graceEnd());
            abort();
            left = awaitPollers(deadlines.end());
        } catch (InterruptedException e) {
            abort();
            onClose.accept(this);
            Thread.currentThread().interrupt();
        }
        if (!left.isEmpty()) {
            LOG.warn("Closed {}, but service calls that ignore interruption still run on {} (daemon threads); each"
                    + " ends when its call returns, and its response is dropped", this, left);
        }
    }

    /** Marks it closed for the runtime's close, which runs the steps itself; false if it was closed already. */
    boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return "polling " + listener.baseUri() + " for " + subscription;
    }
}
