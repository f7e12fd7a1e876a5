/**
 * Internal to Halibut: the TLS transport: listener and connector with thumbprint trust, connections
 * carrying frames, the client connection pool and connect retries. Used by the polling and runtime bundles;
 * not API.
 *
 * <p>Exported with the mandatory attribute {@code halibut.internal=true}, so only Halibut's own bundles wire
 * to it (docs/modules.md).
 */
@Export(attribute = {"halibut.internal=true", "mandatory:=halibut.internal"})
@Version("0.2.0")
package dev.halibut.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
