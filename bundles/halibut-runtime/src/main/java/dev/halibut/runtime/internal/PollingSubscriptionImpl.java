package dev.halibut.runtime.internal;

import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.Poller;
import dev.halibut.runtime.PollingSubscription;
import java.net.URI;
import java.util.List;
import java.util.function.Consumer;

/** The pollers of one {@code poll(...)} call. */
final class PollingSubscriptionImpl implements PollingSubscription {

    private final URI subscription;
    private final ServiceEndPoint listener;
    private final List<Poller> pollers;
    private final Consumer<PollingSubscriptionImpl> onClose;

    PollingSubscriptionImpl(URI subscription, ServiceEndPoint listener, List<Poller> pollers,
                            Consumer<PollingSubscriptionImpl> onClose) {
        this.subscription = subscription;
        this.listener = listener;
        this.pollers = List.copyOf(pollers);
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

    @Override
    public void close() {
        pollers.forEach(Poller::close);
        onClose.accept(this);
    }

    @Override
    public String toString() {
        return "polling " + listener.baseUri() + " for " + subscription;
    }
}
