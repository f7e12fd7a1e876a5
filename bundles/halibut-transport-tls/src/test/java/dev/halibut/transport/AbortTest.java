package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Connection#abort()}, from any thread, leaves the connection in the end state of {@link Connection#close()}
 * at once: closed, its close actions run (once), its compressor closed, its wait called back, nothing more written or
 * read. It used to leave {@link Connection#isClosed()} false and the close actions unrun until someone called
 * {@code close()}, so a pool could keep an aborted connection and an observer never heard that it closed.
 */
class AbortTest {

    private final TransportFixture fixture = TransportFixture.accepting();

    @AfterEach
    void stop() {
        fixture.close();
    }

    /** Aborts {@code c} from a thread of its own, as a pool's or a runtime's close does, and waits for that. */
    private static void abortFromAnotherThread(Connection c) throws InterruptedException {
        Thread other = new Thread(c::abort, "aborting");
        other.start();
        other.join(TransportFixture.LONG.toMillis());
        assertThat(other.isAlive()).as("abort() returned").isFalse();
    }

    @Test
    void anAbortedConnectionIsClosedAtOnceWithItsCloseActionsRunOnce() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        Connection c = p.client();
        AtomicInteger closeActions = new AtomicInteger();
        c.onClose(closeActions::incrementAndGet);

        abortFromAnotherThread(c);

        assertThat(c.isClosed()).isTrue();
        assertThat(closeActions).as("close actions run by abort()").hasValue(1);
        c.close();
        c.abort();
        assertThat(closeActions).as("close actions after close() and abort() again").hasValue(1);
        AtomicInteger late = new AtomicInteger();
        c.onClose(late::incrementAndGet);
        assertThat(late).as("a close action registered after the abort runs at once").hasValue(1);
    }

    @Test
    void anAbortedConnectionWritesAndDecompressesNothingAndThePeerSeesItEnd() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        Connection c = p.client();
        p.server().sendMessage(FrameType.RESPONSE, "received before the abort".getBytes(StandardCharsets.UTF_8));
        Frame received = c.readFrame(TransportFixture.LONG);

        abortFromAnotherThread(c);

        assertThatThrownBy(() -> c.sendMessage(FrameType.REQUEST, new byte[] {1}))
                .isInstanceOf(SocketException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> c.sendControl(FrameType.NEXT))
                .isInstanceOf(SocketException.class).hasMessageContaining("is closed");
        assertThatThrownBy(() -> c.messageBytes(received)).as("its compressor is closed with it")
                .isInstanceOf(SocketException.class).hasMessageContaining(c.toString());
        assertThatThrownBy(() -> p.server().readFrame(TransportFixture.LONG)).as("the peer's read")
                .isInstanceOf(IOException.class);
    }

    @Test
    void aPendingWaitIsCalledBackAndFindsTheConnectionClosed() throws Exception {
        TransportFixture.Pair p = fixture.pair();
        Connection c = p.client();
        CompletableFuture<IOException> seen = new CompletableFuture<>();
        c.onReadable(null, readable -> {
            try {
                c.pollFrame();
                seen.complete(null);
            } catch (IOException e) {
                seen.complete(e);
            }
        });

        abortFromAnotherThread(c);

        assertThat(seen.get(30, TimeUnit.SECONDS)).isInstanceOf(SocketException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void aPoolDoesNotKeepAConnectionAbortedWhileItWasInUse() throws Exception {
        HalibutLimits limits = HalibutLimits.defaults();
        ServiceEndPoint endpoint = fixture.endpoint(limits);
        try (ConnectionPool pool = new ConnectionPool(fixture.connector(), limits, fixture.timer())) {
            Connection c = pool.acquire(endpoint);

            abortFromAnotherThread(c);
            pool.release(endpoint, c);

            assertThat(pool.idleCount(endpoint)).as("idle connections kept for reuse").isZero();
            assertThat(pool.inUseCount()).isZero();
        }
    }
}
