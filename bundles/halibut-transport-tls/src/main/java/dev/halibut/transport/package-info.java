/**
 * TLS transport: listener and connector with thumbprint trust, connections carrying frames, the
 * client connection pool and connect retries. Used by the polling and runtime bundles.
 */
@Export
@Version("0.1.0")
package dev.halibut.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
