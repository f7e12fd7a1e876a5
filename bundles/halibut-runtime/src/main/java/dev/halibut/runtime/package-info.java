/**
 * The plain-Java Halibut runtime: {@link dev.halibut.runtime.HalibutRuntime} and certificate tools.
 */
@Export
@Version("0.4.0")
package dev.halibut.runtime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
