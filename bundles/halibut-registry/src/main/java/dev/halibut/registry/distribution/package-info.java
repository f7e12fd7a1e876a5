/**
 * For distribution providers built on the registry (the {@code halibut-rsa} bundle, Apache Aries RSA's SPI):
 * the registry's export rules and imported-proxy making, so such a provider exports and imports exactly as the
 * registry's own Remote Services do, without a copy of them. Not for applications.
 */
@Export
@Version("0.1.0")
package dev.halibut.registry.distribution;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
