package dev.halibut.runtime.it;

import static dev.halibut.runtime.it.PollingListeners.listen;
import static dev.halibut.runtime.it.PollingListeners.subscriberConnections;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.MessageCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The listener's fast path for a small polled call (SubscriberSession.serveDirectly): a request without streams is
 * marked sent and written by the thread that hands it out, its response taken on the connection's event loop, with no
 * worker thread in between; whatever is not the common case (a response with streams, the subscriber's close or
 * silence, the runtime's close) keeps the rules of the worker path.
 */
class PollingFastPathTest {

    private static final URI SUBSCRIPTION = URI.create("poll://fast/");
    private static final int REQUEST = 0x01;
    private static final int RESPONSE = 0x02;
    private static final int END = 0x12;
    /**
     * Keep-alive and heartbeat skip window longer than any test runs: only what a test does ends an idle connection,
     * and a subscriber heard from once is handed requests without NEXT / PROCEED, however slow the machine.
     */
    private static final HalibutLimits FAST = HalibutLimits.defaults().withPollingKeepAlive(Duration.ofMinutes(10))
            .withHeartbeatSkipWindow(Duration.ofMinutes(10));

    @RegisterExtension
    final ClosedAfterEach resources = new ClosedAfterEach();

    private HalibutRuntime octopus(HalibutLimits limits) {
        return resources.track(PollingListeners.octopusTrustingTentacle(limits));
    }

    private HalibutRuntime tentacle(Object... services) {
        HalibutRuntime.Builder b = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey());
        b.service(Calculator.class, new CalculatorService());
        b.service(Files.class, new FilesService());
        return resources.track(b.build());
    }

    private PollingSubscription poll(HalibutRuntime tentacle, HalibutRuntime octopus, int port) {
        return resources.track(tentacle.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), octopus.thumbprint())));
    }

    private static <T> T client(HalibutRuntime octopus, Class<T> contract) {
        return octopus.createClient(contract, new ServiceEndPoint(SUBSCRIPTION,
                dev.halibut.Thumbprints.of(TestIdentities.TENTACLE.certificate())));
    }

    private static boolean refusesConnections(int port) {
        try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void aSmallPolledCallToAWaitingConnectionIsSentByTheCallersOwnThread() throws Exception {
        HalibutRuntime octopus = octopus(FAST);
        int port = listen(octopus);
        List<String> sendingThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        octopus.addObserver(new HalibutObserver() {
            @Override
            public void requestCollected(QueueEvent event) {
                // Reported as the request is marked sent: on the thread that sends it.
                sendingThreads.add(Thread.currentThread().getName());
            }
        });
        poll(tentacle(), octopus, port);
        Await.until("the subscriber connection served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        Calculator calc = client(octopus, Calculator.class);
        String caller = Thread.currentThread().getName();
        // A call that finds the connection waiting for work is marked sent and written by the caller, not handed to a
        // listener worker. The listener arms the next wait before it wakes the caller with a response, so every call
        // after the first finds it waiting (the first may come just before the wait is armed for a new connection).
        for (int i = 0; i < 20; i++) {
            assertThat(calc.add(i, 1)).isEqualTo(i + 1);
        }
        assertThat(sendingThreads).hasSize(20);
        assertThat(sendingThreads.subList(1, 20)).containsOnly(caller);
    }

    @Test
    void aResponseAnnouncingStreamsToASmallRequestStillBringsItsStreams() throws Exception {
        HalibutRuntime octopus = octopus(FAST);
        int port = listen(octopus);
        PollingSubscription sub = poll(tentacle(), octopus, port);
        Await.until("the subscriber connected", Duration.ofSeconds(30), () -> sub.connectedCount() == 1);
        Files files = client(octopus, Files.class);
        for (int i = 0; i < 3; i++) { // and the connection carries on after each
            DataStream produced = files.produce(200_000, i);
            assertThat(TestBytes.sha256(produced.openStream())).isEqualTo(TestBytes.sha256(200_000, i));
        }
        assertThat(client(octopus, Calculator.class).add(2, 3)).isEqualTo(5);
    }

    @Test
    void aSubscriberThatClosesAfterReadingTheRequestFailsTheCallAsMayHaveRunAtOnce() throws Exception {
        HalibutRuntime octopus = octopus(FAST); // the response timeout stays at its default, minutes
        int port = listen(octopus);
        RawSubscriber s = new RawSubscriber(port, octopus);
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> client(octopus, Calculator.class).add(1, 2), OwnThread.EACH);

        s.readRequest();
        s.close();

        assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("connection failed after the request was sent")
                .hasMessageContaining("may have run");
    }

    @Test
    void noResponseWithinTheResponseTimeoutFailsTheCallAndEndsTheConnection() throws Exception {
        HalibutRuntime octopus = octopus(FAST.withResponseTimeout(Duration.ofSeconds(1)));
        int port = listen(octopus);
        RawSubscriber s = new RawSubscriber(port, octopus);
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> client(octopus, Calculator.class).add(1, 2), OwnThread.EACH);

        s.readRequest(); // and never answer

        assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("collected, but no response came within PT1S (responseTimeout)");
        // A connection whose response never came cannot carry another request: the listener lets it go.
        assertThat(s.closedByListener()).isTrue();
        Await.until("the subscriber connection gone", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 0);
    }

    @Test
    void theResponseOfARequestInFlightWhenTheRuntimeClosesReachesTheCallerThenTheConnectionEndsWithEnd()
            throws Exception {
        HalibutRuntime octopus = octopus(FAST);
        int port = listen(octopus);
        RawSubscriber s = new RawSubscriber(port, octopus);
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> client(octopus, Calculator.class).add(1, 2), OwnThread.EACH);
        IncomingRequest request = s.readRequest();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(octopus::close, OwnThread.EACH);
        Await.until("the runtime closing (its listener stopped accepting)", Duration.ofSeconds(30),
                () -> refusesConnections(port));
        s.sendResponse(request.id(), 3);

        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(3);
        s.expectFrame(END);
        closing.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aSubscriberAnsweringRequestAfterRequestOnOneConnectionGetsEachInTurn() throws Exception {
        HalibutRuntime octopus = octopus(FAST);
        int port = listen(octopus);
        RawSubscriber s = new RawSubscriber(port, octopus);
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        Calculator calc = client(octopus, Calculator.class);
        for (int i = 0; i < 5; i++) {
            int a = i;
            CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> calc.add(a, 10), OwnThread.EACH);
            // Heard from within the skip window (its last response): the request comes at once, without NEXT first.
            IncomingRequest request = s.readRequest();
            s.sendResponse(request.id(), a + 10);
            assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(a + 10);
        }
    }

    /** A subscriber written by hand: TLS as the tentacle, HALIBUT-SUBSCRIBER, then frames read and written raw. */
    private final class RawSubscriber implements AutoCloseable {
        private final MessageCodec codec = new MessageCodec();
        private final Compressor compressor = new Compressor();
        private final RawSubscriberConnection connection;
        private final DataInputStream in;
        private final OutputStream out;

        RawSubscriber(int port, HalibutRuntime listener) throws IOException {
            connection = RawSubscriberConnection.open(listener, port, SUBSCRIPTION);
            in = connection.in();
            out = connection.out();
            resources.track(this);
        }

        /** Reads the next frame, which must be a REQUEST, and decodes it. */
        IncomingRequest readRequest() throws IOException {
            int type = in.readUnsignedByte();
            byte[] payload = new byte[in.readInt()];
            in.readFully(payload);
            assertThat(type).as("frame type").isEqualTo(REQUEST);
            return codec.decodeRequest(compressor.decompress(payload, 1 << 20));
        }

        void sendResponse(String requestId, int result) throws IOException {
            byte[] payload = compressor.compress(codec.encodeResponse(requestId, int.class, result).bson());
            out.write(ByteBuffer.allocate(5 + payload.length).put((byte) RESPONSE).putInt(payload.length)
                    .put(payload).array());
            out.flush();
        }

        /** Reads frames until one of {@code type}; any other frame fails the test. */
        void expectFrame(int type) throws IOException {
            int t = in.readUnsignedByte();
            in.skipNBytes(in.readInt());
            assertThat(t).as("frame type").isEqualTo(type);
        }

        /** Whether the listener has closed the connection (EOF or reset); fails if it stays open for 30 s. */
        boolean closedByListener() throws IOException {
            return connection.closedByListener();
        }

        @Override
        public void close() throws IOException {
            compressor.close();
            connection.close();
        }
    }
}
