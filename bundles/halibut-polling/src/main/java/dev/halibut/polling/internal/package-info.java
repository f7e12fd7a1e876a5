/**
 * Internal to Halibut: the polling machinery. The listener side hands queued requests to subscriber
 * connections ({@code SubscriberSession}), the service-host side polls for them ({@code Poller}). Only the
 * runtime bundle uses it; not API.
 *
 * <p>Exported with the mandatory attribute {@code halibut.internal=true}, so only Halibut's own bundles wire
 * to it (docs/modules.md). The queue SPI these classes work with is public: {@code dev.halibut.polling}.
 */
@Export(attribute = {"halibut.internal=true", "mandatory:=halibut.internal"})
@Version("1.0.0")
package dev.halibut.polling.internal;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
