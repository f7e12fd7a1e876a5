package dev.halibut.transport;

import dev.halibut.wire.Identification;
import java.io.IOException;

/** Serves connections a {@link TlsListener} has authenticated and identified. */
public interface ConnectionHandler {

    /**
     * Whether connections identifying with this role are served. A refused role gets an identification
     * error ({@code polling-not-supported} for subscribers, {@code unknown-role} otherwise).
     */
    boolean accepts(Identification.Role role);

    /**
     * Serves one connection on the calling (listener-owned) thread until it ends. The listener closes the
     * connection afterwards. Exceptions are logged by the listener with the peer's address.
     */
    void serve(Connection connection, Identification peer) throws IOException;
}
