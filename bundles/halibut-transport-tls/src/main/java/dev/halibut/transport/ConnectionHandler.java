package dev.halibut.transport;

import dev.halibut.wire.Identification;
import java.util.concurrent.Executor;

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
     * Takes over an identified connection. Called on the connection's event loop, so it must not block: it
     * waits for the peer without a thread ({@link Connection#onReadable}, {@link Connection#schedule}) and runs
     * blocking work (a service call, a stream transfer, an exchange) on {@code workers}, the listener's worker
     * threads, which end when the listener shuts down (they are interrupted then). From this call on the handler
     * owns the connection and closes it when it is done; the listener closes it only when it shuts down. What it
     * throws is logged and the connection closed.
     */
    void connected(Connection connection, Identification peer, Executor workers);

    /**
     * The listener refused a connection before it could be served: the TLS handshake failed (an untrusted
     * or missing client certificate, say), the identification was refused, it took too long, or too many
     * connections were open. Called on an event loop; must be quick, and what it throws is ignored.
     *
     * @param peer   the remote address
     * @param reason why, for people
     */
    default void refused(String peer, String reason) {
    }
}
