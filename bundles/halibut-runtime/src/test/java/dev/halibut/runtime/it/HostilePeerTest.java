package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.Identification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.Deflater;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that holds a trusted certificate (or none) but sends garbage: each bad connection is closed
 * by the listener, and the runtime keeps serving well-behaved callers.
 */
class HostilePeerTest {

    private HalibutRuntime octopus;
    private HalibutRuntime tentacle;
    private int port;
    private Calculator calc;
    private final CalculatorService service = new CalculatorService();

    @BeforeEach
    void start() {
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, service).trust(octopus.thumbprint())
                // Short keep-alive: the listener reads a subscriber's answer only when it sends NEXT.
                .timeouts(HalibutLimits.defaults().withPollingKeepAlive(Duration.ofMillis(100))).build();
        port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        calc = octopus.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
        assertThat(calc.add(1, 1)).isEqualTo(2);
    }

    @AfterEach
    void stop() throws InterruptedException {
        // Whatever the hostile peer did, honest calls still work.
        assertThat(calc.add(2, 3)).isEqualTo(5);
        octopus.close();
        tentacle.close();
        ThreadLeaks.assertNoHalibutThreads();
    }

    @Test
    void plainTcpGarbageIsClosed() throws IOException {
        try (Socket s = rawSocket()) {
            byte[] garbage = new byte[4096];
            new Random(1).nextBytes(garbage);
            s.getOutputStream().write(garbage);
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void hugeLengthPrefixIsClosedWithoutAllocating() throws IOException {
        try (SSLSocket s = identifiedClient()) {
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0x01, (byte) 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
            out.flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void unknownFrameTypeIsClosed() throws IOException {
        try (SSLSocket s = identifiedClient()) {
            s.getOutputStream().write(new byte[] {0x7E, 0, 0, 0, 0});
            s.getOutputStream().flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void halfAMessageThenSilenceIsClosedWhenThePeerGoes() throws IOException {
        List<HalibutObserver.ConnectionEvent> closed = new CopyOnWriteArrayList<>();
        tentacle.addObserver(new HalibutObserver() {
            @Override
            public void connectionClosed(ConnectionEvent event) {
                closed.add(event);
            }
        });
        SSLSocket s = identifiedClient();
        String peer = String.valueOf(s.getLocalSocketAddress()); // the listener names its peer the same way
        s.getOutputStream().write(new byte[] {0x01, 0, 0, 0x10, 0, 1, 2, 3}); // 3 of 4,096 announced bytes
        s.getOutputStream().flush();
        assertThat(closed).as("closed before the peer went").noneMatch(e -> peer.equals(e.remoteAddress()));
        s.close();
        // The listener notices the cut message and frees the connection at once, not at its 10 min idle timeout.
        Await.until("the listener to close the connection from " + peer, Duration.ofSeconds(10),
                () -> closed.stream().anyMatch(e -> peer.equals(e.remoteAddress())));
        assertThat(closed).filteredOn(e -> peer.equals(e.remoteAddress())).singleElement()
                .satisfies(e -> assertThat(e.direction()).isEqualTo(HalibutObserver.Direction.INBOUND))
                .satisfies(e -> assertThat(e.role()).isEqualTo(HalibutObserver.Role.CALLER));
    }

    @Test
    void garbagePayloadIsClosed() throws IOException {
        try (SSLSocket s = identifiedClient()) {
            byte[] payload = "this is not zlib data at all".getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(frame(0x01, payload));
            s.getOutputStream().flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void validZlibOfNonBsonIsClosed() throws IOException {
        try (SSLSocket s = identifiedClient(); Compressor c = new Compressor()) {
            s.getOutputStream().write(frame(0x01, c.compress("{\"json\": true}".getBytes(StandardCharsets.UTF_8))));
            s.getOutputStream().flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void zipBombIsClosed() throws IOException {
        // 64 MiB of zeros compress to about 64 KiB; the listener must stop inflating at its 16 MiB bound.
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        d.setInput(new byte[64 * 1024 * 1024]);
        d.finish();
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        while (!d.finished()) {
            bomb.write(buf, 0, d.deflate(buf));
        }
        d.end();
        try (SSLSocket s = identifiedClient()) {
            s.getOutputStream().write(frame(0x01, bomb.toByteArray()));
            s.getOutputStream().flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void responseFrameFromACallerIsClosed() throws IOException {
        try (SSLSocket s = identifiedClient(); Compressor c = new Compressor()) {
            s.getOutputStream().write(frame(0x02, c.compress(new byte[] {5, 0, 0, 0, 0})));
            s.getOutputStream().flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    @Test
    void overlongIdentificationLineIsRefused() throws IOException {
        try (SSLSocket s = tlsClient()) {
            byte[] line = new byte[100_000];
            java.util.Arrays.fill(line, (byte) 'A');
            OutputStream out = s.getOutputStream();
            try {
                out.write(line);
                out.flush();
            } catch (SocketException e) {
                // The listener may close before taking all of it; that is the behaviour under test.
            }
            String reply = readAll(s.getInputStream());
            assertThat(reply).startsWith("HALIBUT-ERROR bad-identification");
        }
    }

    @Test
    void unsupportedVersionIsRefusedWithAClearError() throws IOException {
        try (SSLSocket s = tlsClient()) {
            s.getOutputStream().write("HALIBUT-CLIENT 99\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(readAll(s.getInputStream())).startsWith("HALIBUT-ERROR unsupported-version")
                    .contains("version 1");
        }
    }

    @Test
    void unknownRoleIsRefused() throws IOException {
        try (SSLSocket s = tlsClient()) {
            s.getOutputStream().write("HALIBUT-BOGUS 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(readAll(s.getInputStream())).startsWith("HALIBUT-ERROR unknown-role");
        }
    }

    @Test
    void subscriberSendingGarbageInsteadOfProceedIsClosed() throws IOException {
        try (SSLSocket s = tlsClient()) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("HALIBUT-SUBSCRIBER 1 poll://abc/\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(Identification.readFrom(s.getInputStream()).role()).isEqualTo(Identification.Role.SERVER);
            // Answer the listener's keep-alive NEXT with a REQUEST frame, which only a listener may send.
            s.getOutputStream().write(frame(0x01, new byte[] {1, 2, 3}));
            s.getOutputStream().flush();
            assertClosedByPeer(s.getInputStream());
        }
    }

    private Socket rawSocket() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A TLS connection with the trusted octopus certificate, before identification. */
    private SSLSocket tlsClient() throws IOException {
        return RawConnections.tls(TestIdentities.OCTOPUS, tentacle, port, Duration.ofSeconds(10));
    }

    /** A TLS connection that has identified as a client, ready for frames. */
    private SSLSocket identifiedClient() throws IOException {
        return RawConnections.identifiedClient(tentacle, port, Duration.ofSeconds(10));
    }

    private static byte[] frame(int type, byte[] payload) {
        byte[] f = new byte[5 + payload.length];
        f[0] = (byte) type;
        f[1] = (byte) (payload.length >>> 24);
        f[2] = (byte) (payload.length >>> 16);
        f[3] = (byte) (payload.length >>> 8);
        f[4] = (byte) payload.length;
        System.arraycopy(payload, 0, f, 5, payload.length);
        return f;
    }

    /** The listener must end the connection: EOF or reset, never a hang (the socket timeout is 10 s). */
    private static void assertClosedByPeer(InputStream in) throws IOException {
        try {
            byte[] buf = new byte[1024];
            while (in.read(buf) >= 0) {
                // drain whatever precedes the close
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("The listener did not close the connection", e);
        } catch (SocketException | javax.net.ssl.SSLException e) {
            // reset by the listener: closed, as required
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (SocketException | javax.net.ssl.SSLException e) {
            // the listener closes right after its error line; what arrived before counts
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
