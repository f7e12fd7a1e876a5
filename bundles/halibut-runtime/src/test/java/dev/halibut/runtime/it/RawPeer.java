package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.undercouch.bson4jackson.BsonFactory;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.Identification;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A peer written by hand, as one in another language would be: it sends request documents built field by
 * field (so a test chooses each BSON element type) in REQUEST frames and reads the responses. It is either a
 * caller connected to a listening runtime, or the listener a polling runtime collects its work from.
 */
final class RawPeer implements AutoCloseable {

    private static final ObjectMapper BSON = new ObjectMapper(new BsonFactory());

    private final SSLSocket socket;
    private final SSLServerSocket server;
    private final PollingSubscription subscription;
    private final Compressor compressor = new Compressor();
    private final DataInputStream in;
    private final OutputStream out;

    private RawPeer(SSLSocket socket, SSLServerSocket server, PollingSubscription subscription) throws IOException {
        this.socket = socket;
        this.server = server;
        this.subscription = subscription;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects, as the octopus, to {@code serviceHost} listening on {@code port} (it must trust the octopus). */
    static RawPeer callerOf(HalibutRuntime serviceHost, int port) throws IOException {
        return new RawPeer(RawConnections.identifiedClient(serviceHost, port, Duration.ofSeconds(30)), null, null);
    }

    /** Listens, as the octopus, and has {@code serviceHost} poll it for {@code subscription}; returns once it has. */
    static RawPeer listenerFor(HalibutRuntime serviceHost, URI subscription) throws IOException {
        TlsContextFactory tls = new TlsContextFactory(TestIdentities.OCTOPUS.certificate(),
                TestIdentities.OCTOPUS.privateKey());
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(serviceHost.thumbprint());
        SSLServerSocket server = (SSLServerSocket) tls.serverContext(trust).getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        server.setSoTimeout(30_000);
        PollingSubscription polling = null;
        try {
            polling = serviceHost.poll(subscription, new ServiceEndPoint(
                    URI.create("https://localhost:" + server.getLocalPort() + "/"), tls.thumbprint()));
            SSLSocket s = (SSLSocket) server.accept();
            s.setSoTimeout(30_000);
            s.startHandshake();
            assertThat(Identification.readFrom(s.getInputStream()).role()).isEqualTo(Identification.Role.SUBSCRIBER);
            Identification.server().writeTo(s.getOutputStream());
            return new RawPeer(s, server, polling);
        } catch (IOException | RuntimeException | Error e) {
            if (polling != null) {
                polling.close();
            }
            server.close();
            throw e;
        }
    }

    /** Sends {@code request} (a request envelope) and returns the response to it. */
    IncomingResponse call(ObjectNode request) throws IOException {
        byte[] payload = compressor.compress(BSON.writeValueAsBytes(request));
        byte[] frame = new byte[5 + payload.length];
        frame[0] = 0x01;
        frame[1] = (byte) (payload.length >>> 24);
        frame[2] = (byte) (payload.length >>> 16);
        frame[3] = (byte) (payload.length >>> 8);
        frame[4] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 5, payload.length);
        out.write(frame);
        out.flush();
        assertThat(in.readUnsignedByte()).as("frame type").isEqualTo(0x02);
        byte[] response = new byte[in.readInt()];
        in.readFully(response);
        IncomingResponse r = new MessageCodec().decodeResponse(compressor.decompress(response, 16 * 1024 * 1024));
        assertThat(r.id()).isEqualTo(request.get("id").textValue());
        return r;
    }

    /** A request envelope for {@code service.method}, with empty {@code params} and {@code paramTypes} to fill in. */
    static ObjectNode request(String id, String service, String method) {
        ObjectNode doc = BSON.createObjectNode().put("id", id).put("service", service).put("method", method);
        doc.putArray("paramTypes");
        doc.putArray("params");
        return doc;
    }

    @Override
    public void close() throws IOException {
        try {
            compressor.close();
            socket.close();
        } finally {
            if (subscription != null) {
                subscription.close();
            }
            if (server != null) {
                server.close();
            }
        }
    }
}
