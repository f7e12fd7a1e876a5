package dev.halibut.runtime.it;

import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.wire.Identification;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import javax.net.ssl.SSLSocket;

/**
 * A polling connection opened by hand, for tests that play the subscriber frame by frame: TLS as the tentacle,
 * HALIBUT-SUBSCRIBER for one subscription, the listener's identification answer read; reads time out after 30 s.
 */
record RawSubscriberConnection(SSLSocket socket, Identification answer, DataInputStream in, OutputStream out)
        implements AutoCloseable {

    static RawSubscriberConnection open(HalibutRuntime listener, int port, URI subscription) throws IOException {
        SSLSocket socket = RawConnections.tls(TestIdentities.TENTACLE, listener, port, Duration.ofSeconds(30));
        OutputStream out = socket.getOutputStream();
        Identification.subscriber(subscription).writeTo(out);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        return new RawSubscriberConnection(socket, Identification.readFrom(in), in, out);
    }

    /**
     * Whether the listener has closed the connection: the next read finds its end (EOF, or a reset when it closed
     * with our bytes unread). Fails if nothing happens within the read timeout.
     */
    boolean closedByListener() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the listener kept the connection open", e);
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
