/**
 * Polling mode: the pending-request queue SPI with its in-memory implementation, the listener side that
 * hands queued requests to subscriber connections, and the service-host side that polls for them.
 */
@Export
@Version("0.1.0")
package dev.halibut.polling;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
