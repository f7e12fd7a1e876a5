/**
 * The one owner of Halibut's OSGi configuration schema: {@link dev.halibut.registry.config.HalibutConfig}
 * names the Config Admin PIDs and keys and the key store location, {@link dev.halibut.registry.config.ConfigValues}
 * reads typed values (lists, ports, durations, sizes) with errors that name the PID, the key and the value.
 * The registry reads its configuration through these; the shell commands (and any other bundle that writes
 * or shows a Halibut configuration) import this package instead of repeating names and parsing rules.
 */
@Export
@Version("0.3.0")
package dev.halibut.registry.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
