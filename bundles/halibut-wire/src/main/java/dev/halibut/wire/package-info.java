/**
 * The Halibut wire protocol (docs/protocol.md): identification lines, frames, the zlib-compressed BSON
 * message codec. Used by the transport, polling and runtime bundles; not meant for application code.
 */
@Export
@Version("0.1.0")
package dev.halibut.wire;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
