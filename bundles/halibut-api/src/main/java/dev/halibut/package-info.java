/**
 * The contract users code against: endpoints, the timeouts-and-limits value, thumbprints and the
 * exceptions a call can end with. The runtime itself lives in {@code dev.halibut.runtime}.
 */
@Export
@Version("0.1.0")
package dev.halibut;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
