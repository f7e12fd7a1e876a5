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
import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a listener does with an identified connection. A caller (HALIBUT-CLIENT): answer NEXT with
 * PROCEED, run each REQUEST and send its RESPONSE, end on END, idle timeout or a protocol error; between
 * requests the connection waits for its next frame without a thread, and each frame is served on a worker. A
 * polling service host (HALIBUT-SUBSCRIBER): hand it the queued requests of its subscription
 * ({@link SubscriberSession}).
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
    public void connected(Connection connection, Identification peer, Executor workers) {
        if (peer.role() == Identification.Role.SUBSCRIBER) {
            telemetry.inboundOpened(connection, EndpointKeys.of(peer.subscription()), HalibutObserver.Role.SUBSCRIBER);
            subscribers.start(connection, peer.subscription(), workers);
            return;
        }
        String key = listenerKey;
        telemetry.inboundOpened(connection, key, HalibutObserver.Role.CALLER);
        awaitNextFrame(connection, key, workers);
    }

    /** Waits, without a thread, for the caller's next frame; serves it on a worker. */
    private void awaitNextFrame(Connection connection, String key, Executor workers) {
        connection.onReadable(limits.serverIdleTimeout(), readable -> {
            if (!readable) {
                // A well-behaved caller's pool drops idle connections sooner (poolIdleTimeout), so this is news.
                LOG.warn("Closing {}: nothing arrived for {} (serverIdleTimeout)", connection, limits.serverIdleTimeout());
                connection.close();
                return;
            }
            try {
                workers.execute(() -> serveFrame(connection, key, workers));
            } catch (RejectedExecutionException e) {
                // The listener is shutting down (or every worker is busy, up to maxServerConnections).
                if (running.isCancelled()) {
                    LOG.debug("Closing {}: the runtime is closing", connection);
                } else {
                    LOG.warn("Closing {}: all {} worker threads of the listener are busy (maxServerConnections)",
                            connection, limits.maxServerConnections());
                }
                connection.close();
            }
        });
    }

    /** On a worker: reads the frame that arrived and serves it; then waits for the next one, or closes. */
    private void serveFrame(Connection connection, String key, Executor workers) {
        boolean again = false;
        try {
            again = serveOne(connection, key);
        } catch (EOFException e) {
            LOG.debug("Connection from {} closed by the peer", connection.description());
        } catch (ProtocolException e) {
            LOG.warn("Closing connection from {}: protocol error: {}", connection.description(), e.getMessage());
        } catch (IOException e) {
            if (!connection.isClosed() && !running.isCancelled()) {
                LOG.warn("Connection from {} failed: {}", connection.description(), e.toString());
            } else {
                LOG.debug("Connection from {} ended: {}", connection.description(), e.toString());
            }
        } catch (RuntimeException e) {
            LOG.error("Connection from {} failed unexpectedly; closing it", connection.description(), e);
        } finally {
            if (again) {
                awaitNextFrame(connection, key, workers);
            } else {
                connection.close();
            }
        }
    }

    /** @return whether the connection stays open for the caller's next frame */
    private boolean serveOne(Connection connection, String key) throws IOException {
        Frame frame = connection.readFrame(limits.serverIdleTimeout()); // there: onReadable said so
        switch (frame.type()) {
            case NEXT -> {
                if (!trust.isTrusted(connection.remoteThumbprint())) {
                    // No PROCEED: the caller's liveness check fails, nothing of its request has been sent, and
                    // its next connection is refused in the TLS handshake ("rejected our certificate").
                    LOG.warn("Closing {}: its certificate {} is no longer trusted", connection,
                            connection.remoteThumbprint());
                    connection.closeGracefully();
                    return false;
                }
                connection.sendControl(FrameType.PROCEED);
                return true;
            }
            case END -> {
                return false;
            }
            case REQUEST -> {
                if (!trust.isTrusted(connection.remoteThumbprint())) {
                    // END instead of a RESPONSE tells the caller that this request was refused unread and did
                    // not run (protocol.md, section 3), so it can say "not run" rather than "may have run".
                    LOG.warn("Refusing a request on {} without running it, and closing: its certificate {} is no"
                            + " longer trusted", connection, connection.remoteThumbprint());
                    connection.closeGracefully();
                    return false;
                }
                invoker.serve(connection, frame, key, running);
                return !running.isCancelled(); // the runtime is closing: no further request on this connection
            }
            default -> throw new ProtocolException("A caller sent a " + frame.type() + " frame, which only a service host may send");
        }
    }
}
