/**
 * The pending-request queue SPI of polling mode: a listener queues requests for a {@code poll://}
 * subscription in a {@link dev.halibut.polling.PendingRequestQueue}, and subscriber connections take them.
 * Implement it (and, under OSGi, register a {@link dev.halibut.polling.PendingRequestQueueFactory} service)
 * to share the queue between listener nodes, as {@code halibut-queue-redis} does.
 * {@link dev.halibut.polling.InMemoryPendingRequestQueue} is the default queue of one node, public as the
 * reference implementation of the rules {@code PendingRequestQueue} states.
 *
 * <p>Everything a queue needs is here or in {@code dev.halibut} ({@code EncodedMessage},
 * {@code ReceivedMessage}, {@code DataStream}); the machinery that drives the queue is internal
 * ({@code dev.halibut.polling.internal}).
 */
@Export
@Version("1.3.0")
package dev.halibut.polling;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
