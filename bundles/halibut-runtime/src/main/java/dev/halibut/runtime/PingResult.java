package dev.halibut.runtime;

import dev.halibut.ServiceEndPoint;
import java.time.Duration;

/**
 * What {@link HalibutRuntime#ping} measured.
 *
 * @param endpoint  the endpoint pinged
 * @param handshake listening endpoints: TCP connect, TLS handshake and identification of a new connection;
 *                  {@code null} for polling endpoints
 * @param collected polling endpoints: how long the ping waited until a service host collected it;
 *                  {@code null} for listening endpoints
 * @param roundTrip from sending the ping request until its response arrived
 */
public record PingResult(ServiceEndPoint endpoint, Duration handshake, Duration collected, Duration roundTrip) {
}
