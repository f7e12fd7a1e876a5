package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reusing a pooled connection (docs/protocol.md, section 5): a connection heard from within the heartbeat
 * skip window that the operating system reports open and quiet carries the next request at once; any other
 * goes through NEXT / PROCEED; one the peer closed, or sent unexpected bytes on, is replaced before anything
 * of the request is sent.
 */
class ConnectionReuseTest {

    /** Longer than any test runs: "heard from recently" holds throughout, however slow the machine. */
    private static final HalibutLimits SKIPPING = HalibutLimits.defaults().withHeartbeatSkipWindow(Duration.ofMinutes(10));
    private static final HalibutLimits ALWAYS_CHECKING = HalibutLimits.defaults().withHeartbeatSkipWindow(Duration.ZERO);

    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger nexts = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    /** What the server does after answering a request. */
    private volatile Runnable afterResponse = () -> { };
    private volatile Connection lastServed;
    private final TransportFixture fixture = TransportFixture.serving(this::serve);
    private final ScheduledExecutorService timer = fixture.timer();

    /** Answers NEXT with PROCEED and REQUEST with a RESPONSE of the same bytes, until END. */
    private void serve(Connection c) throws IOException {
        connections.incrementAndGet();
        while (true) {
            Frame f = c.readFrame(Duration.ofSeconds(30));
            switch (f.type()) {
                case END -> {
                    return;
                }
                case NEXT -> {
                    nexts.incrementAndGet();
                    c.sendControl(FrameType.PROCEED);
                }
                case REQUEST -> {
                    requests.incrementAndGet();
                    Runnable after = afterResponse; // read before the caller can see the response and change it
                    lastServed = c;
                    c.sendMessage(FrameType.RESPONSE, c.messageBytes(f));
                    after.run();
                }
                default -> throw new IOException("unexpected " + f.type());
            }
        }
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private ServiceEndPoint endpoint(HalibutLimits limits) {
        return fixture.endpoint(limits);
    }

    /** One exchange on a pooled connection; returns the connection it went over (released to the pool). */
    private Connection call(ConnectionPool pool, ServiceEndPoint endpoint, String text) throws IOException {
        Connection c = pool.acquire(endpoint);
        c.sendMessage(FrameType.REQUEST, text.getBytes(StandardCharsets.UTF_8));
        Frame f = c.readFrame(Duration.ofSeconds(30));
        assertThat(f.type()).isEqualTo(FrameType.RESPONSE);
        assertThat(new String(c.messageBytes(f), StandardCharsets.UTF_8)).isEqualTo(text);
        pool.release(endpoint, c);
        return c;
    }

    @Test
    void connectionHeardFromWithinTheWindowCarriesTheNextRequestWithoutNextProceed() throws IOException {
        try (ConnectionPool pool = new ConnectionPool(fixture.connector(), SKIPPING, timer)) {
            ServiceEndPoint e = endpoint(SKIPPING);
            for (int i = 0; i < 20; i++) {
                call(pool, e, "call " + i);
            }
        }
        assertThat(connections).hasValue(1);
        assertThat(requests).hasValue(20);
        assertThat(nexts).hasValue(0);
    }

    @Test
    void withAZeroWindowEveryReuseExchangesNextAndProceed() throws IOException {
        try (ConnectionPool pool = new ConnectionPool(fixture.connector(), ALWAYS_CHECKING, timer)) {
            ServiceEndPoint e = endpoint(ALWAYS_CHECKING);
            for (int i = 0; i < 20; i++) {
                call(pool, e, "call " + i);
            }
        }
        assertThat(connections).hasValue(1);
        assertThat(nexts).hasValue(19);
    }

    @Test
    void connectionThePeerClosedIsReplacedBeforeTheRequestIsSent() throws Exception {
        afterResponse = () -> lastServed.close();
        try (ConnectionPool pool = new ConnectionPool(fixture.connector(), SKIPPING, timer)) {
            ServiceEndPoint e = endpoint(SKIPPING);
            Connection first = call(pool, e, "first");
            awaitEnded(first);
            afterResponse = () -> { };
            Connection second = call(pool, e, "second");
            assertThat(second).isNotSameAs(first);
            assertThat(first.isClosed()).isTrue();
        }
        assertThat(connections).hasValue(2);
        assertThat(requests).hasValue(2);
        assertThat(nexts).hasValue(0);
    }

    @Test
    void connectionWithUnexpectedBytesIsReplacedBeforeTheRequestIsSent() throws Exception {
        afterResponse = () -> {
            try {
                lastServed.sendControl(FrameType.PROCEED); // nobody asked
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try (ConnectionPool pool = new ConnectionPool(fixture.connector(), SKIPPING, timer)) {
            ServiceEndPoint e = endpoint(SKIPPING);
            Connection first = call(pool, e, "first");
            afterResponse = () -> { };
            awaitEnded(first);
            Connection second = call(pool, e, "second");
            assertThat(second).isNotSameAs(first);
        }
        assertThat(connections).hasValue(2);
        assertThat(requests).hasValue(2);
    }

    @Test
    void aPendingInterruptDoesNotBreakTheConnection() throws IOException {
        try (ConnectionPool pool = new ConnectionPool(fixture.connector(), SKIPPING, timer)) {
            ServiceEndPoint e = endpoint(SKIPPING);
            call(pool, e, "before");
            Thread.currentThread().interrupt();
            try {
                call(pool, e, "while interrupted");
                assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept for the caller").isTrue();
            } finally {
                Thread.interrupted();
            }
            call(pool, e, "after");
        }
        assertThat(connections).hasValue(1);
        assertThat(requests).hasValue(3);
    }

    /** Waits (bounded) until this side's operating system has seen what the peer did to the connection. */
    private static void awaitEnded(Connection c) {
        TransportFixture.awaitCondition("the peer's close or bytes to arrive",
                () -> c.quietState() == Liveness.QuietState.ENDED);
    }
}
