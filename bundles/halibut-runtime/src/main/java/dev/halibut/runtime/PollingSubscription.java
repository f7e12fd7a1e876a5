package dev.halibut.runtime;

import dev.halibut.ServiceEndPoint;
import java.net.URI;

/**
 * A running subscription of {@link HalibutRuntime#poll}: this runtime keeps connections open to a
 * listener and serves the requests it queues for the subscription. Closing it stops only this
 * subscription; closing the runtime stops all of them.
 */
public interface PollingSubscription extends AutoCloseable {

    /** The {@code poll://} subscription served. */
    URI subscription();

    /** The listener polled. */
    ServiceEndPoint listener();

    /** How many of its connections are established right now. */
    int connectedCount();

    /**
     * Stops polling: closes its connections and ends its threads, within {@link HalibutRuntime#CLOSE_TIMEOUT}.
     * The service calls running on its connections are interrupted and answered as {@link HalibutRuntime#close()}
     * describes; the rest of the runtime is not affected.
     */
    @Override
    void close();
}
