package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import dev.halibut.transport.ExchangeException.Kind;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.MessageCodec;
import dev.halibut.ReceivedMessage;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exchange's two sides over a real connection, and how the requesting side classifies each way an
 * exchange can fail: not sent, sent without its streams, refused unread (END), no response, protocol error,
 * a response stream the peer aborted, a connection that ends after the request.
 */
class RequestExchangeTest {

    private static final Duration LONG = TransportFixture.LONG;

    private final TransportFixture.RequestLoop server = new TransportFixture.RequestLoop();
    private final TransportFixture fixture = TransportFixture.serving(server);
    /** REQUEST frames the serving side has read. */
    private final java.util.concurrent.atomic.AtomicInteger requestsRead = server.requestsRead();
    private MessageCodec codec;
    private ReceivedStreamStore clientStreams;
    private RequestExchange exchange;
    private ServingExchange serving;

    @TempDir
    Path temp;

    @BeforeEach
    void start() {
        TransportFixture.Exchanges e = fixture.exchanges(temp);
        codec = e.codec();
        clientStreams = e.clientStreams();
        exchange = e.exchange();
        serving = e.serving();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private Connection connect(HalibutLimits limits) {
        return fixture.connect(limits);
    }

    private EncodedMessage request(String id, Object... args) throws IOException {
        Type[] types = new Type[args.length];
        for (int i = 0; i < args.length; i++) {
            types[i] = args[i] instanceof DataStream ? DataStream.class : args[i].getClass();
        }
        return codec.encodeRequest(id, "Echo", "echo", types, args);
    }

    /** Serves each request as an echo of its first argument, through the serving side of the exchange. */
    private boolean echo(Connection c, Frame f) throws IOException {
        try (ServingExchange.Served served = serving.receive(c, f)) {
            IncomingRequest r = served.request();
            var received = served.receiveStreams(LONG);
            Object arg;
            try {
                arg = r.bindArguments(new Type[] {DataStream.class}, received)[0];
            } catch (IncomingRequest.ArgumentBindingException e) {
                throw new IOException(e);
            }
            byte[] content = ((DataStream) arg).readAllBytes();
            served.respond(codec.encodeResponse(r.id(), DataStream.class, DataStream.fromBytes(content)));
        }
        return true;
    }

    @Test
    void aResponseArrivesDecodedWithItsStreamsAndTheConnectionCarriesTheNextExchange() throws IOException {
        server.behaviour(this::echo);
        try (Connection c = connect(HalibutLimits.defaults())) {
            for (String id : List.of("1", "2")) {
                byte[] body = ("body of " + id).getBytes(StandardCharsets.UTF_8);
                RequestExchange.Response response = exchange.call(c, id, request(id, DataStream.fromBytes(body)), LONG);
                assertThat(response.envelope().id()).isEqualTo(id);
                DataStream result = (DataStream) response.envelope().bindResult(DataStream.class, response.streams());
                assertThat(result.readAllBytes()).isEqualTo(body);
                // For a queue, the decoded envelope travels with the bytes: whoever takes it does not decode again.
                ReceivedMessage queued = response.received();
                assertThat(queued.decoded()).isSameAs(response.envelope());
                assertThat(queued.bson()).isSameAs(response.bson());
            }
        }
    }

    @Test
    void aRequestOverTheMaximumMessageSizeIsNotSentAndTheConnectionStaysUsable() throws IOException {
        server.behaviour(this::echo);
        HalibutLimits small = HalibutLimits.defaults().withMaxMessageSize(1024);
        try (Connection c = connect(small)) {
            EncodedMessage huge = codec.encodeRequest("big", "Echo", "echo", new Type[] {byte[].class},
                    new Object[] {randomBytes(4096)});
            assertThatThrownBy(() -> exchange.call(c, "big", huge, LONG)).isInstanceOfSatisfying(ExchangeException.class,
                    e -> {
                        assertThat(e.kind()).isEqualTo(Kind.NOT_SENT);
                        assertThat(e.kind().mayHaveRun()).isFalse();
                        assertThat(e.kind().connectionReusable()).isTrue();
                        assertThat(e.getCause()).isInstanceOf(MessageTooLargeException.class);
                    });
            RequestExchange.Response ok = exchange.call(c, "small", request("small", DataStream.fromBytes(new byte[] {7})),
                    LONG);
            assertThat(ok.envelope().id()).isEqualTo("small");
        }
    }

    @Test
    void endInPlaceOfAResponseMeansTheRequestWasRefusedUnreadAndDidNotRun() throws IOException {
        server.behaviour((c, f) -> {
            c.closeGracefully();
            return false;
        });
        try (Connection c = connect(HalibutLimits.defaults())) {
            // Without streams: everything the caller sent has been read when the peer closes (no reset).
            assertFails(c, "1", request("1", "text"), LONG, Kind.REFUSED_UNREAD);
            assertThat(Kind.REFUSED_UNREAD.mayHaveRun()).isFalse();
            assertThat(Kind.REFUSED_UNREAD.connectionReusable()).isFalse();
        }
    }

    @Test
    void aRequestOnAConnectionWhosePeerHasSentEndIsNotWrittenAndDidNotRun() throws Exception {
        server.behaviour(this::echo);
        server.endAtOnce();
        try (Connection c = connect(HalibutLimits.defaults())) {
            TransportFixture.awaitCondition("the peer's END has arrived", () -> !c.isQuiet());
            ExchangeException e = assertFails(c, "1", request("1", "text"), LONG, Kind.NOT_WRITTEN);
            assertThat(e.getCause()).isInstanceOf(RequestNotWrittenException.class).hasMessageContaining("(END)");
            assertThat(e.kind().mayHaveRun()).isFalse();
            assertThat(e.kind().connectionReusable()).isFalse();
        }
        assertThat(fixture.awaitServedConnectionsEnded(1)).isTrue();
        assertThat(requestsRead).as("requests the peer read").hasValue(0);
    }

    @Test
    void aRequestIsNotWrittenWhenTheConnectionEndsAfterTheCallersChecksButBeforeTheEventLoopWritesIt()
            throws Exception {
        server.behaviour(this::echo);
        try (Connection c = connect(HalibutLimits.defaults())) {
            // Hold the connection's event loop, so that the request waits for it after the caller's own checks.
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            c.schedule(Duration.ZERO, () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                c.abort(); // the connection ends on the event loop, just before the request's write there
            });
            java.util.concurrent.CompletableFuture<ExchangeException> failed = new java.util.concurrent.CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    exchange.call(c, "1", request("1", "text"), LONG);
                    failed.completeExceptionally(new AssertionError("the exchange did not fail"));
                } catch (ExchangeException e) {
                    failed.complete(e);
                } catch (IOException e) {
                    failed.completeExceptionally(e);
                }
            });
            caller.start();
            // The caller has handed the request to the event loop and waits for the response.
            TransportFixture.awaitCondition("the caller waiting for the response", () -> caller.getState() == Thread.State.TIMED_WAITING);
            release.countDown();
            ExchangeException e = failed.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(e.kind()).as("kind of %s", e).isEqualTo(Kind.NOT_WRITTEN);
            assertThat(c.requestWrite()).isEqualTo(Connection.RequestWrite.WITHHELD);
        }
        assertThat(fixture.awaitServedConnectionsEnded(1)).isTrue();
        assertThat(requestsRead).as("requests the peer read").hasValue(0);
    }

    @Test
    void aConnectionThatEndsBetweenFramesAfterTheRequestMayHaveRunTheRequest() throws IOException {
        server.behaviour((c, f) -> false); // read the request, then close without END
        try (Connection c = connect(HalibutLimits.defaults())) {
            ExchangeException e = assertFails(c, "1", request("1", "text"), LONG, Kind.CONNECTION_LOST);
            assertThat(e.getCause()).isInstanceOf(java.io.EOFException.class);
            assertThat(e.kind().mayHaveRun()).isTrue();
        }
    }

    @Test
    void aResponseToAnotherRequestIsAProtocolError() throws IOException {
        server.behaviour((c, f) -> {
            c.sendMessage(FrameType.RESPONSE, codec.encodeResponse("someone-else", void.class, null).bson());
            return true;
        });
        try (Connection c = connect(HalibutLimits.defaults())) {
            ExchangeException e = assertFails(c, "mine", request("mine", DataStream.fromBytes(new byte[0])), LONG,
                    Kind.PROTOCOL_ERROR);
            assertThat(e.getCause()).hasMessageContaining("someone-else").hasMessageContaining("mine");
        }
    }

    @Test
    void noResponseWithinTheResponseTimeoutIsNoResponse() throws IOException {
        server.behaviour((c, f) -> {
            c.readFrame(LONG); // the request's stream end, then nothing more until the caller gives up
            c.readFrame(LONG);
            return false;
        });
        try (Connection c = connect(HalibutLimits.defaults())) {
            assertFails(c, "1", request("1", DataStream.fromBytes(new byte[0])), Duration.ofMillis(200), Kind.NO_RESPONSE);
        }
    }

    @Test
    void aRequestStreamWhoseSourceFailsIsAbortedAndReportedAsTheSourcesFailure() throws IOException {
        server.behaviour(this::echo);
        DataStream failing = DataStream.fromWriter(10, out -> {
            out.write(new byte[3]);
            throw new IOException("source disappeared");
        });
        try (Connection c = connect(HalibutLimits.defaults())) {
            ExchangeException e = assertFails(c, "1", request("1", failing), LONG, Kind.STREAM_SOURCE_FAILED);
            assertThat(e.kind().mayHaveRun()).as("the service runs as the request arrives").isTrue();
            assertThat(e.getCause()).isInstanceOf(StreamSourceException.class).hasMessageContaining("source disappeared");
        }
    }

    @Test
    void aResponseStreamThePeerAbortsIsReportedWithItsReason() throws IOException {
        server.behaviour((c, f) -> {
            try (ServingExchange.Served served = serving.receive(c, f)) {
                served.receiveStreams(LONG);
                DataStream broken = DataStream.fromWriter(10, out -> {
                    throw new IOException("disk gone");
                });
                served.respond(codec.encodeResponse(served.request().id(), DataStream.class, broken));
            } catch (StreamSourceException expected) {
                return false; // STREAM_ABORT went out; the connection must not be reused
            }
            return true;
        });
        try (Connection c = connect(HalibutLimits.defaults())) {
            ExchangeException e = assertFails(c, "1", request("1", DataStream.fromBytes(new byte[0])), LONG,
                    Kind.RESPONSE_STREAM_ABORTED);
            assertThat(e.getCause()).isInstanceOf(StreamAbortedException.class).hasMessageContaining("disk gone");
        }
        assertThat(clientStreams.fileCount()).isZero();
    }

    @Test
    void aResponseStreamReadAsItArrivesThatThePeerAbortsFailsTheReadNamingTheStreamAndTheConnectionIsNotReusable()
            throws IOException {
        server.behaviour((c, f) -> {
            try (ServingExchange.Served served = serving.receive(c, f)) {
                served.receiveStreams(LONG);
                DataStream broken = DataStream.fromWriter(200_000, out -> {
                    out.write(new byte[100_000]);
                    throw new IOException("disk gone");
                });
                served.respond(codec.encodeResponse(served.request().id(), DataStream.class, broken));
            } catch (StreamSourceException expected) {
                return false;
            }
            return true;
        });
        java.util.concurrent.CompletableFuture<Boolean> finished = new java.util.concurrent.CompletableFuture<>();
        try (Connection c = connect(HalibutLimits.defaults())) {
            RequestExchange.Response response = exchange.callStreaming(c, "1", request("1", DataStream.fromBytes(new byte[0])),
                    LONG, finished::complete);
            assertThat(finished).as("the connection is the response's while its stream is unread").isNotDone();
            DataStream result = response.streams().values().iterator().next();
            assertThatThrownBy(result::readAllBytes).isInstanceOf(StreamAbortedException.class)
                    .hasMessageContaining("stream " + result.id()).hasMessageContaining("disk gone");
            assertThat(finished).isCompletedWithValue(false);
            assertThat(c.isClosed() || !c.isQuiet()).as("the connection was aborted").isTrue();
        }
        assertThat(clientStreams.fileCount()).isZero();
    }

    @Test
    void aResponseStreamReadToItsEndGivesTheConnectionBackForTheNextExchange() throws IOException {
        server.behaviour(this::echo);
        java.util.concurrent.CompletableFuture<Boolean> finished = new java.util.concurrent.CompletableFuture<>();
        byte[] body = randomBytes(300_000);
        try (Connection c = connect(HalibutLimits.defaults())) {
            RequestExchange.Response response = exchange.callStreaming(c, "1", request("1", DataStream.fromBytes(body)),
                    LONG, finished::complete);
            assertThat(finished).isNotDone();
            assertThat(response.streams().values().iterator().next().readAllBytes()).isEqualTo(body);
            assertThat(finished).isCompletedWithValue(true);
            assertThat(clientStreams.fileCount()).as("read straight through, nothing stored").isZero();
            RequestExchange.Response again = exchange.call(c, "2", request("2", DataStream.fromBytes(new byte[] {9})), LONG);
            assertThat(again.streams().values().iterator().next().readAllBytes()).containsExactly(9);
        }
    }

    private ExchangeException assertFails(Connection c, String id, EncodedMessage request, Duration timeout, Kind kind) {
        try {
            exchange.call(c, id, request, timeout);
        } catch (ExchangeException e) {
            assertThat(e.kind()).as("kind of %s", e).isEqualTo(kind);
            return e;
        }
        throw new AssertionError("the exchange did not fail; expected " + kind);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return b;
    }
}
