package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.testing.FaultInjectingProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Deflater;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each limit of {@link HalibutLimits} that protects a listener, exceeded on purpose: the offending
 * connection is closed, a log line says which limit and what to change, and an established connection
 * of a well-behaved caller (through a proxy that counts connections, so reuse is proven) keeps working.
 */
class LimitsTest {

    /** Receives streams; counts calls so a refused request is seen never to have run. */
    public interface Streams {
        int count(List<DataStream> streams);
    }

    static final class StreamsService implements Streams {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public int count(List<DataStream> streams) {
            calls.incrementAndGet();
            return streams.size();
        }
    }

    @TempDir
    Path tentacleTemp;

    private final CalculatorService calculator = new CalculatorService();
    private final StreamsService streams = new StreamsService();
    private LogCapture log;
    private HalibutRuntime octopus;
    private HalibutRuntime tentacle;
    private FaultInjectingProxy proxy;
    private int port;
    private Calculator viaProxy;
    private int acceptedAfterSetup;

    /** Starts the service host with {@code limits} and opens one well-behaved pooled connection to it. */
    private void start(HalibutLimits limits) throws IOException {
        log = LogCapture.start();
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, calculator).service(Streams.class, streams)
                .temporaryDirectory(tentacleTemp).timeouts(limits).trust(octopus.thumbprint()).build();
        port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        proxy = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        viaProxy = octopus.createClient(Calculator.class, endpoint(proxy.port()));
        assertThat(viaProxy.add(1, 1)).isEqualTo(2);
        acceptedAfterSetup = proxy.acceptedConnections();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (viaProxy != null) {
                // The connection opened before the limit was exceeded is still the one in use.
                assertThat(viaProxy.add(2, 3)).isEqualTo(5);
                assertThat(proxy.acceptedConnections()).as("connections through the proxy").isEqualTo(acceptedAfterSetup);
                // And new connections are served too.
                assertThat(octopus.createClient(Calculator.class, endpoint(port)).add(3, 4)).isEqualTo(7);
            }
        } finally {
            if (octopus != null) {
                octopus.close();
                tentacle.close();
                proxy.close();
            }
            if (log != null) {
                log.close();
            }
        }
        ThreadLeaks.assertNoHalibutThreads();
        try (var files = java.nio.file.Files.list(tentacleTemp)) {
            assertThat(files.toList()).as("temporary files left").isEmpty();
        }
    }

    private ServiceEndPoint endpoint(int p) {
        return new ServiceEndPoint(URI.create("https://localhost:" + p + "/"), tentacle.thumbprint());
    }

    // --- maximum message size ---

    @Test
    void maxMessageSizeIsCheckedAgainstTheFrameHeaderBeforeThePayloadIsReadOrAllocated() throws Exception {
        start(HalibutLimits.defaults().withMaxMessageSize(64 * 1024));
        try (SSLSocket s = identifiedClient()) {
            // Only the header: a listener that waited for (or allocated) the payload would not close now.
            s.getOutputStream().write(new byte[] {0x01, 0, 1, 0, 1});
            s.getOutputStream().flush();
            assertClosedByPeer(s);
        }
        log.await(Duration.ofSeconds(10), "protocol error", "REQUEST frame of 65537 bytes exceeds the maximum message size of 65536 bytes");
    }

    @Test
    void maxMessageSizeBoundsInflationToo() throws Exception {
        start(HalibutLimits.defaults().withMaxMessageSize(64 * 1024));
        try (SSLSocket s = identifiedClient()) {
            s.getOutputStream().write(frame(0x01, deflate(new byte[1024 * 1024]))); // ~1 KiB that inflates to 1 MiB
            s.getOutputStream().flush();
            assertClosedByPeer(s);
        }
        log.await(Duration.ofSeconds(10), "protocol error", "inflates to more than the maximum message size of 65536 bytes");
    }

    @Test
    void aCallWhoseRequestExceedsTheServiceHostsMaxMessageSizeFailsAndNeverRuns() throws Exception {
        start(HalibutLimits.defaults().withMaxMessageSize(64 * 1024));
        byte[] random = new byte[100 * 1024];
        new java.util.Random(7).nextBytes(random); // incompressible: the compressed frame is over the limit too
        Calculator direct = octopus.createClient(Calculator.class, endpoint(port));
        assertThatThrownBy(() -> direct.reverse(random)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Calculator.reverse");
        log.await(Duration.ofSeconds(10), "exceeds the maximum message size of 65536 bytes");
        assertThat(calculator.invocations).hasValue(1); // only the setup call
    }

    // --- streams per message: count and total length ---

    @Test
    void moreStreamsThanMaxStreamsPerMessageAreRefusedBeforeAnyIsStored() throws Exception {
        start(HalibutLimits.defaults().withMaxStreamsPerMessage(2));
        Streams client = octopus.createClient(Streams.class, endpoint(port));
        assertThat(client.count(List.of(DataStream.fromBytes(new byte[10]), DataStream.fromBytes(new byte[10]))))
                .isEqualTo(2);
        assertThatThrownBy(() -> client.count(List.of(DataStream.fromBytes(new byte[10]),
                DataStream.fromBytes(new byte[10]), DataStream.fromBytes(new byte[10]))))
                .isInstanceOf(HalibutClientException.class);
        log.await(Duration.ofSeconds(10), "protocol error",
                "The message announces 3 streams, more than the 2 this side accepts (maxStreamsPerMessage)");
        assertThat(streams.calls).hasValue(1);
    }

    @Test
    void streamsLongerThanMaxStreamLengthPerMessageAreRefusedBeforeTheirBodiesArrive() throws Exception {
        start(HalibutLimits.defaults().withMaxStreamLengthPerMessage(100 * 1024));
        Streams client = octopus.createClient(Streams.class, endpoint(port));
        // 60 KiB + 60 KiB: each is under the limit, together they are over it. The second stream's writer
        // holds its body back until the refusal is logged, so the refusal cannot have needed the bodies.
        DataStream first = DataStream.fromBytes(new byte[60 * 1024]);
        DataStream second = DataStream.fromWriter(60 * 1024, out -> {
            log.await(Duration.ofSeconds(10), "maxStreamLengthPerMessage");
            out.write(new byte[60 * 1024]);
        });
        assertThatThrownBy(() -> client.count(List.of(first, second))).isInstanceOf(HalibutClientException.class);
        assertThat(log.await(Duration.ofSeconds(10), "protocol error", "maxStreamLengthPerMessage"))
                .contains("The message announces streams of more than 102400 bytes in all");
        assertThat(streams.calls).hasValue(0);
        assertThat(client.count(List.of(DataStream.fromBytes(new byte[100 * 1024])))).isEqualTo(1); // at the limit
    }

    // --- identification line length ---

    @Test
    void anIdentificationLineOverMaxIdentificationLineLengthIsRefusedNamingTheLimit() throws Exception {
        start(HalibutLimits.defaults().withMaxIdentificationLineLength(128));
        try (SSLSocket s = tlsClient()) {
            byte[] line = ("HALIBUT-SUBSCRIBER 1 poll://" + "x".repeat(200) + "/\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                s.getOutputStream().write(line);
                s.getOutputStream().flush();
            } catch (SocketException e) {
                // the listener may close before taking all of it
            }
            assertThat(readAll(s.getInputStream())).startsWith("HALIBUT-ERROR bad-identification")
                    .contains("longer than 128 bytes (maxIdentificationLineLength)");
        }
        log.await(Duration.ofSeconds(10), "Refusing connection from", "longer than 128 bytes (maxIdentificationLineLength)");
        // A line within the limit still identifies.
        try (SSLSocket s = identifiedClient()) {
            assertThat(s.isClosed()).isFalse();
        }
    }

    // --- handshake timeout ---

    @Test
    void aConnectionThatDoesNotStartTheHandshakeIsClosedAfterTheHandshakeTimeout() throws Exception {
        start(HalibutLimits.defaults().withHandshakeTimeout(Duration.ofSeconds(1)));
        long start = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            assertClosedByPeer(s);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        log.await(Duration.ofSeconds(10), "no TLS handshake and identification within PT1S (handshakeTimeout)");
    }

    @Test
    void aConnectionThatCompletesTlsButNeverIdentifiesIsClosedAfterTheHandshakeTimeout() throws Exception {
        start(HalibutLimits.defaults().withHandshakeTimeout(Duration.ofSeconds(1)));
        try (SSLSocket s = tlsClient()) {
            s.getOutputStream().write("HALIBUT-CLI".getBytes(StandardCharsets.US_ASCII)); // and then nothing
            s.getOutputStream().flush();
            assertClosedByPeer(s);
        }
        log.await(Duration.ofSeconds(10), "no TLS handshake and identification within PT1S (handshakeTimeout)");
    }

    // --- read timeouts ---

    @Test
    void anIdentifiedConnectionThatSendsNothingIsClosedAfterTheServerIdleTimeout() throws Exception {
        start(HalibutLimits.defaults().withServerIdleTimeout(Duration.ofMillis(300)));
        viaProxy = null; // the pooled connection would time out too: this test checks new connections instead
        try (SSLSocket s = identifiedClient()) {
            assertClosedByPeer(s);
        }
        log.await(Duration.ofSeconds(10), "Closing connection to", "nothing arrived for PT0.3S (serverIdleTimeout)");
        assertThat(octopus.createClient(Calculator.class, endpoint(port)).add(3, 4)).isEqualTo(7);
    }

    @Test
    void aFrameThatStopsHalfwayIsClosedAfterTheServerIdleTimeout() throws Exception {
        start(HalibutLimits.defaults().withServerIdleTimeout(Duration.ofMillis(300)));
        viaProxy = null;
        try (SSLSocket s = identifiedClient()) {
            s.getOutputStream().write(new byte[] {0x01, 0, 0, 0, 100, 1, 2, 3}); // 3 of 100 payload bytes
            s.getOutputStream().flush();
            assertClosedByPeer(s);
        }
        log.await(Duration.ofSeconds(10), "nothing arrived for PT0.3S (serverIdleTimeout)");
        assertThat(calculator.invocations).hasValue(1);
        assertThat(octopus.createClient(Calculator.class, endpoint(port)).add(3, 4)).isEqualTo(7);
    }

    @Test
    void aCallerWaitsForTheResponseAtMostItsResponseTimeoutThenClosesTheConnection() throws Exception {
        start(HalibutLimits.defaults());
        try (FaultInjectingProxy counting = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            Calculator impatient = octopus.createClient(Calculator.class, endpoint(counting.port())
                    .withLimits(HalibutLimits.defaults().withResponseTimeout(Duration.ofMillis(300))));
            assertThat(impatient.add(1, 2)).isEqualTo(3);
            long start = System.nanoTime();
            // The caller's log line is the exception it throws: it says which limit and that the request may have run.
            assertThatThrownBy(() -> impatient.slow(2_000)).isInstanceOf(HalibutClientException.class)
                    .hasMessageContaining("no response within PT0.3S (responseTimeout)")
                    .hasMessageContaining("may have run");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            // The connection the slow call used was closed, not pooled: the next call needs a new one.
            assertThat(impatient.add(1, 2)).isEqualTo(3);
            assertThat(counting.acceptedConnections()).isEqualTo(2);
        }
    }

    // --- helpers ---

    private SSLSocket tlsClient() throws IOException {
        return RawConnections.tls(TestIdentities.OCTOPUS, tentacle, port, Duration.ofSeconds(10));
    }

    private SSLSocket identifiedClient() throws IOException {
        return RawConnections.identifiedClient(tentacle, port, Duration.ofSeconds(10));
    }

    private static byte[] frame(int type, byte[] payload) {
        byte[] f = Arrays.copyOf(new byte[] {(byte) type, (byte) (payload.length >>> 24), (byte) (payload.length >>> 16),
                (byte) (payload.length >>> 8), (byte) payload.length}, 5 + payload.length);
        System.arraycopy(payload, 0, f, 5, payload.length);
        return f;
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    /** The listener must end the connection: EOF or reset, never a hang (socket timeout 10 s). */
    private static void assertClosedByPeer(Socket s) throws IOException {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1024];
            while (in.read(buf) >= 0) {
                // drain whatever precedes the close
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("The listener did not close the connection", e);
        } catch (SocketException | SSLException e) {
            // reset by the listener: closed, as required
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (SocketException | SSLException e) {
            // the listener closes right after its error line; what arrived before counts
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
