/**
 * Internal to Halibut: for distribution providers built on the registry (the {@code halibut-rsa}
 * bundle, Apache Aries RSA's SPI) and the shell: the registry's export rules and imported-proxy making, so
 * such a provider exports and imports exactly as the registry's own Remote Services do, without a copy of
 * them. Not for applications.
 *
 * <p>Exported with the mandatory attribute {@code halibut.internal=true}, so only Halibut's own bundles wire
 * to it (docs/modules.md).
 */
@Export(attribute = {"halibut.internal=true", "mandatory:=halibut.internal"})
@Version("0.1.0")
package dev.halibut.registry.distribution;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
