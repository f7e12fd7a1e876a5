package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.EncodedMessage;
import dev.halibut.transport.ExchangeException.Kind;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.lang.reflect.Type;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request sent without waiting and its response taken on the event loop (what the listener's polling fast path
 * uses: {@link Connection#sendRequestThenOnReadable}, {@link RequestExchange#responseWithoutStreams}), and how
 * everything that is not the common case is left to {@link RequestExchange#responseFrom} and
 * {@link RequestExchange#failure}, classified as a blocking exchange classifies it.
 */
class DirectRequestTest {

    private static final Duration LONG = TransportFixture.LONG;
    /** Longer than any test: a connection identified just now counts as heard from. */
    private static final Duration WINDOW = Duration.ofMinutes(10);

    private final TransportFixture.RequestLoop server = new TransportFixture.RequestLoop();
    private final TransportFixture fixture = TransportFixture.serving(server);
    private final AtomicInteger requestsRead = server.requestsRead();
    private MessageCodec codec;
    private RequestExchange exchange;
    private ServingExchange serving;

    @TempDir
    Path temp;

    @BeforeEach
    void start() {
        TransportFixture.Exchanges e = fixture.exchanges(temp);
        codec = e.codec();
        exchange = e.exchange();
        serving = e.serving();
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private Connection connect() {
        return fixture.connect();
    }

    private EncodedMessage request(String id, String text) throws IOException {
        return codec.encodeRequest(id, "Echo", "echo", new Type[] {String.class}, new Object[] {text});
    }

    /** Answers a text request with the text, or with a stream of the text after "stream " when it starts so. */
    private boolean echo(Connection c, Frame f) throws IOException {
        try (ServingExchange.Served served = serving.receive(c, f)) {
            IncomingRequest r = served.request();
            String text;
            try {
                text = (String) r.bindArguments(new Type[] {String.class}, served.receiveStreams(LONG))[0];
            } catch (IncomingRequest.ArgumentBindingException e) {
                throw new IOException(e);
            }
            if (text.startsWith("stream ")) {
                served.respond(codec.encodeResponse(r.id(), DataStream.class,
                        DataStream.fromBytes(text.substring(7).getBytes(StandardCharsets.UTF_8))));
            } else {
                served.respond(codec.encodeResponse(r.id(), String.class, text));
            }
        }
        return true;
    }

    /** What the event loop saw: on which thread, and the frame or failure it took without waiting. */
    private record Seen(boolean onEventLoop, boolean readable, Frame frame, IOException failure) {
    }

    private CompletableFuture<Seen> sendDirect(Connection c, EncodedMessage request, Duration timeout)
            throws IOException {
        CompletableFuture<Seen> seen = new CompletableFuture<>();
        c.sendRequestThenOnReadable(request.bson(), timeout, readable -> {
            if (!readable) {
                seen.complete(new Seen(c.inEventLoop(), false, null, null));
                return;
            }
            try {
                seen.complete(new Seen(c.inEventLoop(), true, c.pollFrame(), null));
            } catch (IOException e) {
                seen.complete(new Seen(c.inEventLoop(), true, null, e));
            }
        });
        return seen;
    }

    @Test
    void aSmallRequestGoesWithoutWaitingAndItsResponseIsTakenAndDecodedOnTheEventLoop() throws Exception {
        server.behaviour(this::echo);
        try (Connection c = connect()) {
            for (String id : new String[] {"1", "2"}) { // and the connection carries the next one
                assertThat(c.readinessWithoutCheck(WINDOW)).isEqualTo(Connection.Readiness.READY);
                Seen seen = sendDirect(c, request(id, "text " + id), LONG).get(30, TimeUnit.SECONDS);
                assertThat(seen.onEventLoop()).isTrue();
                assertThat(seen.frame().type()).isEqualTo(FrameType.RESPONSE);
                RequestExchange.Response r = exchange.responseWithoutStreams(c, id, seen.frame());
                assertThat(r).isNotNull();
                assertThat(r.envelope().id()).isEqualTo(id);
                assertThat(r.envelope().bindResult(String.class, r.streams())).isEqualTo("text " + id);
                assertThat(r.received().decoded()).isSameAs(r.envelope());
            }
        }
    }

    @Test
    void aResponseAnnouncingStreamsIsLeftToResponseFromWhichReceivesThem() throws Exception {
        server.behaviour(this::echo);
        try (Connection c = connect()) {
            byte[] body = "streamed back".getBytes(StandardCharsets.UTF_8);
            Seen seen = sendDirect(c, request("s", "stream streamed back"), LONG).get(30, TimeUnit.SECONDS);
            assertThat(exchange.responseWithoutStreams(c, "s", seen.frame())).isNull();
            RequestExchange.Response r = exchange.responseFrom(c, "s", seen.frame(), LONG);
            assertThat(((DataStream) r.envelope().bindResult(DataStream.class, r.streams())).readAllBytes())
                    .isEqualTo(body);
        }
    }

    @Test
    void aResponseToAnotherRequestIsLeftToResponseFromWhichCallsItAProtocolError() throws Exception {
        server.behaviour(this::echo);
        try (Connection c = connect()) {
            Seen seen = sendDirect(c, request("mine", "text"), LONG).get(30, TimeUnit.SECONDS);
            assertThat(exchange.responseWithoutStreams(c, "other", seen.frame())).isNull();
            assertThatThrownBy(() -> exchange.responseFrom(c, "other", seen.frame(), LONG))
                    .isInstanceOfSatisfying(ExchangeException.class,
                            e -> assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_ERROR));
        }
    }

    @Test
    void aRequestOnAConnectionWhosePeerHasSentEndIsNotWrittenAndDidNotRun() throws Exception {
        server.behaviour(this::echo);
        server.endAtOnce();
        try (Connection c = connect()) {
            TransportFixture.awaitCondition("the peer's END to arrive", () -> !c.isQuiet());
            assertThat(c.readinessWithoutCheck(WINDOW)).isEqualTo(Connection.Readiness.ENDED);
            assertThatThrownBy(() -> sendDirect(c, request("1", "text"), LONG))
                    .isInstanceOfSatisfying(RequestNotWrittenException.class,
                            e -> assertThat(exchange.failure(c, e).kind()).isEqualTo(Kind.NOT_WRITTEN))
                    .hasMessageContaining("(END)");
        }
        assertThat(fixture.awaitServedConnectionsEnded(1)).isTrue();
        assertThat(requestsRead).as("requests the peer read").hasValue(0);
    }

    @Test
    void aRequestOnAConnectionClosedHereFailsAsClosedWithNothingSent() throws Exception {
        server.behaviour(this::echo);
        Connection c = connect();
        c.close(); // as another thread does (the pool, the runtime's close) after a caller's readiness check
        for (String text : new String[] {"small", "x".repeat(4096)}) { // stored and deflated messages
            assertThatThrownBy(() -> sendDirect(c, request("1", text), LONG))
                    .isInstanceOf(java.net.SocketException.class)
                    .isNotInstanceOf(RequestNotWrittenException.class)
                    .hasMessageContaining("is closed; the REQUEST was not sent");
        }
        assertThat(requestsRead).as("requests the peer read").hasValue(0);
    }

    @Test
    void aResponseDecompressedAfterTheConnectionClosedHereFailsAsClosedAndMayHaveRun() throws Exception {
        server.behaviour(this::echo);
        Connection c = connect();
        Seen seen = sendDirect(c, request("1", "text"), LONG).get(30, TimeUnit.SECONDS);
        c.close(); // as another thread does while a worker is about to decompress the response
        assertThatThrownBy(() -> c.messageBytes(seen.frame()))
                .isInstanceOf(java.net.SocketException.class)
                .hasMessageContaining("was closed while a received message was being decompressed");
        assertThat(exchange.responseWithoutStreams(c, "1", seen.frame())).isNull();
        assertThatThrownBy(() -> exchange.responseFrom(c, "1", seen.frame(), LONG))
                .isInstanceOfSatisfying(ExchangeException.class, e -> assertThat(e.kind().mayHaveRun()).isTrue());
    }

    @Test
    void nothingWithinTheTimeoutWakesTheWaitWithFalseAndIsClassifiedAsNoResponse() throws Exception {
        server.behaviour((c, f) -> true); // reads the request, never answers
        try (Connection c = connect()) {
            Seen seen = sendDirect(c, request("1", "text"), Duration.ofMillis(200)).get(30, TimeUnit.SECONDS);
            assertThat(seen.readable()).isFalse();
            assertThat(seen.onEventLoop()).isTrue();
            ExchangeException e = exchange.failure(c, new SocketTimeoutException("nothing within 200 ms"));
            assertThat(e.kind()).isEqualTo(Kind.NO_RESPONSE);
            assertThat(e.kind().mayHaveRun()).isTrue();
        }
    }

    @Test
    void aPeerThatClosesAfterReadingTheRequestWakesTheWaitAndMayHaveRunIt() throws Exception {
        server.behaviour((c, f) -> false); // reads the request, then closes without END
        try (Connection c = connect()) {
            Seen seen = sendDirect(c, request("1", "text"), LONG).get(30, TimeUnit.SECONDS);
            assertThat(seen.readable()).isTrue();
            assertThat(seen.failure()).isNotNull();
            ExchangeException e = exchange.failure(c, seen.failure());
            assertThat(e.kind()).isEqualTo(Kind.CONNECTION_LOST);
            assertThat(e.kind().mayHaveRun()).isTrue();
        }
    }
}
