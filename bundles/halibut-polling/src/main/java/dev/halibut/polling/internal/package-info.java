/**
 * Polling machinery, not user API: the listener side that hands queued requests to subscriber connections
 * ({@code SubscriberSession}) and the service-host side that polls for them ({@code Poller}). Only
 * Halibut's own runtime bundle uses it.
 */
@Export
@Version("0.1.0")
package dev.halibut.polling.internal;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
