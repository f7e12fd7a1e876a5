/**
 * Internal to Halibut: the TLS transport, event-driven on Netty: listener and connector with thumbprint trust,
 * connections carrying frames (a blocking facade for worker threads over the event loops), the client
 * connection pool and connect retries. Used by the polling and runtime bundles;
 * not API.
 *
 * <p>Exported with the mandatory attribute {@code halibut.internal=true}, so only Halibut's own bundles wire
 * to it (docs/modules.md).
 */
@Export(attribute = {"halibut.internal=true", "mandatory:=halibut.internal"})
@Version("2.0.0")
package dev.halibut.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
