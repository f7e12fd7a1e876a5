package dev.halibut.polling;

/**
 * Makes the pending-request queue of each runtime that is built. Under OSGi a queue bundle (such as
 * {@code halibut-queue-redis}, configured by PID {@code dev.halibut.queue.redis}) registers one as a service;
 * the registry's runtime component then builds its runtime with {@link #open()} instead of the in-memory
 * queue, and builds it again when the factory comes or goes.
 */
@FunctionalInterface
public interface PendingRequestQueueFactory {

    /**
     * A new queue. Whoever calls this owns the queue and closes it; a runtime it is handed to
     * ({@code HalibutRuntime.builder().pendingRequestQueue(q)}) closes it when the runtime closes.
     */
    PendingRequestQueue open();
}
