/**
 * Internal to Halibut: the wire protocol (docs/protocol.md): identification lines, frames, the
 * zlib-compressed BSON message codec. Used by the transport, polling and runtime bundles; not API.
 *
 * <p>Exported with the mandatory attribute {@code halibut.internal=true}: only a bundle whose import names
 * that attribute (bnd adds it when it builds against this bundle, as for Halibut's own bundles) can wire to
 * it, so a plain {@code Import-Package: dev.halibut.wire} does not resolve. Its classes may change in any
 * release (docs/modules.md).
 */
@Export(attribute = {"halibut.internal=true", "mandatory:=halibut.internal"})
@Version("1.1.0")
package dev.halibut.wire;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
