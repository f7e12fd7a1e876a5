package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Connection#onReadable} keeps one wait at a time. A second wait registered while one is pending used to
 * replace it silently, so the first was never called back: a request sent and waited for that way would be left with
 * nobody watching for its response until its timeout. Now the second registration is refused loudly and the first
 * keeps its place; once a wait has ended (called back, timed out or cancelled) the next may be registered.
 */
class ReadableWatchTest {

    private final TransportFixture fixture = TransportFixture.accepting();

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void aSecondWaitWhileOneIsPendingIsRefusedNamingTheConnectionAndTheFirstStillHearsThePeer() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        CompletableFuture<Boolean> first = new CompletableFuture<>();
        CompletableFuture<Boolean> second = new CompletableFuture<>();
        p.client().onReadable(null, first::complete);

        assertThatThrownBy(() -> p.client().onReadable(null, second::complete))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(p.client().toString())
                .hasMessageContaining("one wait at a time");

        p.server().sendControl(FrameType.NEXT);
        assertThat(first.get(30, TimeUnit.SECONDS)).as("the first wait, called back for the peer's frame").isTrue();
        assertThat(p.client().pollFrame().type()).isEqualTo(FrameType.NEXT);
        assertThat(second).as("the refused wait").isNotDone();
    }

    @Test
    void aRequestSentWhileAWaitIsPendingIsRefusedWithNothingSent() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        CompletableFuture<Boolean> waiting = new CompletableFuture<>();
        Connection.ReadableWatch watch = p.client().onReadable(null, waiting::complete);
        CompletableFuture<Boolean> response = new CompletableFuture<>();

        assertThatThrownBy(() -> p.client().sendRequestThenOnReadable(new byte[] {1, 2, 3}, TransportFixture.LONG,
                response::complete))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(p.client().toString());

        assertThat(watch.cancel()).isTrue();
        p.client().sendControl(FrameType.NEXT);
        Frame f = p.server().readFrame(TransportFixture.LONG);
        assertThat(f.type()).as("the first frame the peer got (no REQUEST before it)").isEqualTo(FrameType.NEXT);
        assertThat(response).isNotDone();
        assertThat(waiting).as("the cancelled wait").isNotDone();
    }

    /**
     * The one way past the check above: a wait registered by another thread after a request's checks, while its write
     * waits for the event loop. Neither owner may be left without an answer: the connection ends, and both are called
     * back and find it closed.
     */
    @Test
    void aWaitRegisteredWhileARequestWaitsForTheEventLoopEndsTheConnectionAndBothAreCalledBack() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        Connection c = p.client();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        c.schedule(Duration.ZERO, () -> { // holds the event loop, so that the request's write waits for it
            holding.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<IOException> response = new CompletableFuture<>();
        c.sendRequestThenOnReadable(new byte[] {1, 2, 3}, TransportFixture.LONG,
                readable -> response.complete(failureOfPoll(c)));
        CompletableFuture<IOException> other = new CompletableFuture<>();
        c.onReadable(null, readable -> other.complete(failureOfPoll(c)));

        release.countDown();

        assertThat(response.get(30, TimeUnit.SECONDS)).as("the request's wait").isInstanceOf(SocketException.class);
        assertThat(other.get(30, TimeUnit.SECONDS)).as("the other wait").isInstanceOf(SocketException.class);
        assertThat(c.isClosed()).isTrue();
    }

    /** What {@link Connection#pollFrame()} throws on the event loop, or {@code null} if it returned. */
    private static IOException failureOfPoll(Connection c) {
        try {
            c.pollFrame();
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    @Test
    void onceAWaitHasEndedTheNextMayBeRegistered() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        Connection c = p.client();

        // cancelled
        assertThat(c.onReadable(null, readable -> { }).cancel()).isTrue();

        // called back for a frame
        CompletableFuture<Boolean> framed = new CompletableFuture<>();
        c.onReadable(null, framed::complete);
        p.server().sendControl(FrameType.PROCEED);
        assertThat(framed.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(c.pollFrame().type()).isEqualTo(FrameType.PROCEED);

        // timed out
        CompletableFuture<Boolean> timedOut = new CompletableFuture<>();
        c.onReadable(Duration.ofMillis(1), timedOut::complete);
        assertThat(timedOut.get(30, TimeUnit.SECONDS)).isFalse();

        // and the next is registered and called back as usual
        CompletableFuture<Boolean> last = new CompletableFuture<>();
        c.onReadable(null, last::complete);
        p.server().sendControl(FrameType.END);
        assertThat(last.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(c.pollFrame().type()).isEqualTo(FrameType.END);
    }
}
