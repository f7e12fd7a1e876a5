package dev.halibut.runtime.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ConnectionHandler;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.polling.internal.SubscriberSession;
import dev.halibut.wire.ProtocolException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a listener does with an identified connection. A caller (HALIBUT-CLIENT): answer NEXT with
 * PROCEED, run each REQUEST and send its RESPONSE, end on END, idle timeout or a protocol error. A
 * polling service host (HALIBUT-SUBSCRIBER): hand it the queued requests of its subscription.
 */
final class RequestServer implements ConnectionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RequestServer.class);

    private final ServiceInvoker invoker;
    private final SubscriberSession subscribers;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final Telemetry telemetry;
    private final RunningCalls running;
    /** {@code listen://address:port/}, known once the listener is bound (before any connection arrives). */
    private volatile String listenerKey = "listen://unbound/";

    /** @param running where the calls served here are registered, so that closing the runtime can interrupt them */
    RequestServer(ServiceInvoker invoker, SubscriberSession subscribers, ThumbprintTrust trust, HalibutLimits limits,
                  Telemetry telemetry, RunningCalls running) {
        this.telemetry = telemetry;
        this.running = running;
        this.invoker = invoker;
        this.subscribers = subscribers;
        this.trust = trust;
        this.limits = limits;
    }

    @Override
    public boolean accepts(Identification.Role role) {
        return role == Identification.Role.CLIENT || role == Identification.Role.SUBSCRIBER;
    }

    /** A subscriber learns this listener's keep-alive settings from the answer (protocol.md, section 2). */
    @Override
    public Identification reply(Identification peer) {
        return peer.role() == Identification.Role.SUBSCRIBER ? subscribers.reply() : Identification.server();
    }

    void bound(String listenerKey) {
        this.listenerKey = listenerKey;
    }

    @Override
    public void refused(String peer, String reason) {
        telemetry.refused(listenerKey, peer, reason);
    }

    @Override
    public void serve(Connection connection, Identification peer) throws IOException {
        if (peer.role() == Identification.Role.SUBSCRIBER) {
            telemetry.inboundOpened(connection, EndpointKeys.of(peer.subscription()), HalibutObserver.Role.SUBSCRIBER);
            subscribers.serve(connection, peer.subscription());
            return;
        }
        String key = listenerKey;
        telemetry.inboundOpened(connection, key, HalibutObserver.Role.CALLER);
        while (true) {
            Frame frame;
            try {
                frame = connection.readFrame(limits.serverIdleTimeout());
            } catch (SocketTimeoutException e) {
                // A well-behaved caller's pool drops idle connections sooner (poolIdleTimeout), so this is news.
                LOG.warn("Closing {}: nothing arrived for {} (serverIdleTimeout)", connection, limits.serverIdleTimeout());
                return;
            }
            switch (frame.type()) {
                case NEXT -> {
                    if (!trust.isTrusted(connection.remoteThumbprint())) {
                        // No PROCEED: the caller's liveness check fails, nothing of its request has been sent, and
                        // its next connection is refused in the TLS handshake ("rejected our certificate").
                        LOG.warn("Closing {}: its certificate {} is no longer trusted", connection,
                                connection.remoteThumbprint());
                        connection.closeGracefully();
                        return;
                    }
                    connection.sendControl(FrameType.PROCEED);
                }
                case END -> {
                    return;
                }
                case REQUEST -> {
                    if (!trust.isTrusted(connection.remoteThumbprint())) {
                        // END instead of a RESPONSE tells the caller that this request was refused unread and did
                        // not run (protocol.md, section 3), so it can say "not run" rather than "may have run".
                        LOG.warn("Refusing a request on {} without running it, and closing: its certificate {} is no"
                                + " longer trusted", connection, connection.remoteThumbprint());
                        connection.closeGracefully();
                        return;
                    }
                    invoker.serve(connection, frame, key, running);
                    if (running.isCancelled()) {
                        return; // the runtime is closing: no further request on this connection
                    }
                }
                default -> throw new ProtocolException("A caller sent a " + frame.type() + " frame, which only a service host may send");
            }
        }
    }
}
