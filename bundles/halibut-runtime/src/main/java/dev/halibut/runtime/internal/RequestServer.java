package dev.halibut.runtime.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ConnectionHandler;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service-host side of a listening-mode connection: answers NEXT with PROCEED, runs each REQUEST
 * and sends its RESPONSE, and ends on END, idle timeout, or a protocol error.
 */
final class RequestServer implements ConnectionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RequestServer.class);

    private final MessageCodec codec;
    private final ServiceInvoker invoker;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;

    RequestServer(MessageCodec codec, ServiceInvoker invoker, ThumbprintTrust trust, HalibutLimits limits) {
        this.codec = codec;
        this.invoker = invoker;
        this.trust = trust;
        this.limits = limits;
    }

    @Override
    public boolean accepts(Identification.Role role) {
        return role == Identification.Role.CLIENT;
    }

    @Override
    public void serve(Connection connection, Identification peer) throws IOException {
        while (true) {
            Frame frame;
            try {
                frame = connection.readFrame(limits.serverIdleTimeout());
            } catch (SocketTimeoutException e) {
                LOG.debug("Closing {}: idle for {}", connection, limits.serverIdleTimeout());
                return;
            }
            switch (frame.type()) {
                case NEXT -> connection.sendControl(FrameType.PROCEED);
                case END -> {
                    return;
                }
                case REQUEST -> {
                    if (!trust.isTrusted(connection.remoteThumbprint())) {
                        LOG.warn("Closing {}: its certificate {} is no longer trusted", connection,
                                connection.remoteThumbprint());
                        return;
                    }
                    var request = codec.decodeRequest(connection.messageBytes(frame));
                    LOG.debug("{} from {}", request, connection);
                    connection.sendMessage(FrameType.RESPONSE, invoker.invoke(request, limits.maxMessageSize()));
                }
                default -> throw new ProtocolException("A caller sent a " + frame.type() + " frame, which only a service host may send");
            }
        }
    }
}
