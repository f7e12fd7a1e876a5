/**
 * The OSGi side of Halibut: what the registry bundle offers other bundles. Export, import and the
 * runtime itself are driven by service properties and Config Admin (see docs/osgi.md); this package
 * only lets a bundle see what is exported.
 */
@Export
@Version("1.0.0")
package dev.halibut.registry;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
