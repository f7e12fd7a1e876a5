/**
 * The contract users code against: endpoints, the timeouts-and-limits value, thumbprints and the
 * exceptions a call can end with. The runtime itself lives in {@code dev.halibut.runtime}.
 *
 * <p>{@link dev.halibut.EncodedMessage} and {@link dev.halibut.ReceivedMessage} are for implementations of the
 * pending-request queue SPI ({@code dev.halibut.polling}), whose signatures carry them; application code does
 * not meet them.
 */
@Export
@Version("1.1.0")
package dev.halibut;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
