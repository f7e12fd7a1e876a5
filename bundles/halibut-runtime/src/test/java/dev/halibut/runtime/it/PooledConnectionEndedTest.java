package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageCodec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Listening mode, the close race: a pooled connection whose service host ends it (END) right after it answers the
 * liveness check. The caller's last look before the write finds the END, so the request is not written on that
 * connection; nothing was sent, so the call goes on a fresh connection, as after a failed liveness check
 * (docs/protocol.md, section 5), and runs once.
 */
class PooledConnectionEndedTest {

    private static final int REQUEST = 0x01;
    private static final int RESPONSE = 0x02;
    private static final int NEXT = 0x10;

    private final MessageCodec codec = new MessageCodec();
    private final AtomicInteger requestsRead = new AtomicInteger();
    private SSLServerSocket server;
    private Thread acceptor;
    private HalibutRuntime octopus;

    @AfterEach
    void stop() throws Exception {
        if (octopus != null) {
            octopus.close();
        }
        server.close();
        acceptor.join(10_000);
    }

    /**
     * A service host written by hand: answers each REQUEST with 3, and NEXT with PROCEED and END in one write (so
     * both arrive together), then reads on until the caller closes.
     */
    private int startHost() throws IOException {
        TlsContextFactory tls = new TlsContextFactory(TestIdentities.TENTACLE.certificate(),
                TestIdentities.TENTACLE.privateKey());
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(Thumbprints.of(TestIdentities.OCTOPUS.certificate()));
        server = (SSLServerSocket) tls.serverContext(trust).getServerSocketFactory()
                .createServerSocket(0, 4, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    SSLSocket s = (SSLSocket) server.accept();
                    Thread t = new Thread(() -> serve(s), "raw-host-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }, "raw-host-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        return server.getLocalPort();
    }

    private void serve(SSLSocket s) {
        try (s; Compressor compressor = new Compressor()) {
            s.setSoTimeout(30_000);
            s.startHandshake();
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            assertThat(Identification.readFrom(in).role()).isEqualTo(Identification.Role.CLIENT);
            Identification.server().writeTo(out);
            out.flush();
            while (true) {
                int type = in.readUnsignedByte();
                byte[] payload = new byte[in.readInt()];
                in.readFully(payload);
                if (type == NEXT) {
                    out.write(new byte[] {0x11, 0, 0, 0, 0, 0x12, 0, 0, 0, 0}); // PROCEED, END
                    out.flush();
                } else if (type == REQUEST) {
                    requestsRead.incrementAndGet();
                    String id = codec.decodeRequest(compressor.decompress(payload, 1 << 20)).id();
                    byte[] response = compressor.compress(codec.encodeResponse(id, int.class, 3).bson());
                    out.writeByte(RESPONSE);
                    out.writeInt(response.length);
                    out.write(response);
                    out.flush();
                } else {
                    return; // END
                }
            }
        } catch (IOException e) {
            // the caller closed the connection
        }
    }

    @Test
    void aPooledConnectionEndedRightAfterItsLivenessCheckCarriesNothingAndTheCallRunsOnAFreshOne() throws Exception {
        int port = startHost();
        // Window 0: a pooled connection is checked with NEXT before every request.
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(HalibutLimits.defaults().withHeartbeatSkipWindow(Duration.ZERO)).build();
        Calculator calc = octopus.createClient(Calculator.class, new ServiceEndPoint(
                URI.create("https://localhost:" + port + "/"), Thumbprints.of(TestIdentities.TENTACLE.certificate())));

        assertThat(calc.add(1, 2)).isEqualTo(3); // a fresh connection, pooled afterwards
        assertThat(calc.add(1, 2)).isEqualTo(3); // its check passes, then END: the request goes on a new connection

        assertThat(requestsRead).as("requests the host read: one per call").hasValue(2);
    }
}
