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
     * The identification block to answer an accepted peer with: {@code HALIBUT-SERVER} and the version, plus
     * any headers this side sends to that role (docs/protocol.md, section 2). The default has no headers.
     */
    default Identification reply(Identification peer) {
        return Identification.server();
    }

    /**
     * Serves one connection on the calling (listener-owned) thread until it ends. The listener closes the
     * connection afterwards. Exceptions are logged by the listener with the peer's address.
     */
    void serve(Connection connection, Identification peer) throws IOException;

    /**
     * The listener refused a connection before it could be served: the TLS handshake failed (an untrusted
     * or missing client certificate, say), the identification was refused, it took too long, or too many
     * connections were open. Called on a listener thread; must be quick, and what it throws is ignored.
     *
     * @param peer   the remote address
     * @param reason why, for people
     */
    default void refused(String peer, String reason) {
    }
}
