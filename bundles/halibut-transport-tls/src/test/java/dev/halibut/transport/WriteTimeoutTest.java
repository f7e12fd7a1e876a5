package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import dev.halibut.StreamTransferListener;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that stops reading in the middle of a stream: the writer is held back (back-pressure: what the stream's
 * source produced stays bounded by the socket buffers and the connection's write and read queues, not by the
 * stream's length) and fails within the write timeout instead of blocking for good.
 */
class WriteTimeoutTest {

    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(1);
    private static final long STREAM_LENGTH = 4L * 1024 * 1024 * 1024;
    /**
     * The most the source may produce before the writer is held: kernel socket buffers on both sides of the
     * loopback connection (a few MiB each, autotuned), the writer's queue (256 KiB) and the reader's inbox
     * (256 KiB). Far below the 4 GiB stream.
     */
    private static final long BOUND = 64L * 1024 * 1024;

    private final CountDownLatch stoppedReading = new CountDownLatch(1);
    /** Holds the stalling peer's connection open, unread, until the test is over. */
    private final CountDownLatch testOver = new CountDownLatch(1);
    private final TransportFixture fixture = TransportFixture.serving(this::readTheStartThenStop);
    private final int port = fixture.port();

    /** Reads the request and the first chunk of its stream, then never reads again (and keeps the connection open). */
    private void readTheStartThenStop(Connection c) throws IOException {
        try {
            Frame request = c.readFrame(Duration.ofSeconds(30));
            assertThat(request.type()).isEqualTo(FrameType.REQUEST);
            Frame first = c.readFrame(Duration.ofSeconds(30));
            assertThat(first.type()).isEqualTo(FrameType.STREAM_DATA);
        } finally {
            stoppedReading.countDown();
        }
        try {
            testOver.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the listener closes: so does the connection
        }
    }

    @AfterEach
    void stop() {
        testOver.countDown();
        fixture.close();
    }

    @Test
    void aWriterFacingAPeerThatStopsReadingIsHeldBackAndFailsWithinTheWriteTimeout() {
        HalibutLimits limits = HalibutLimits.defaults().withWriteTimeout(WRITE_TIMEOUT);
        AtomicLong produced = new AtomicLong();
        DataStream endless = DataStream.fromWriter(STREAM_LENGTH, out -> {
            byte[] chunk = new byte[64 * 1024];
            for (long left = STREAM_LENGTH; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
                produced.addAndGet(Math.min(chunk.length, left));
            }
        });
        try {
            Connection c = fixture.connect(limits);
            c.sendMessage(FrameType.REQUEST, new byte[] {1, 2, 3});
            long start = System.nanoTime();
            // A liveness bound only (the write timeout is 1 s): without write timeouts this call never returns.
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                assertThatThrownBy(() -> StreamSender.send(c, List.of(endless), StreamTransferListener.NONE))
                        .isInstanceOf(WriteTimeoutException.class)
                        .hasMessageContaining("writeTimeout")
                        .hasMessageContaining("localhost:" + port);
            });
            long elapsed = System.nanoTime() - start;
            assertThat(stoppedReading.await(10, TimeUnit.SECONDS)).as("the peer read the first chunk").isTrue();
            assertThat(elapsed).as("it waited the write timeout for the peer first").isGreaterThanOrEqualTo(WRITE_TIMEOUT.toNanos());
            assertThat(produced.get()).as("bytes the stream's source produced before the writer was held").isLessThan(BOUND);
            assertThatThrownBy(() -> c.sendControl(FrameType.NEXT)).as("the connection is closed after the timeout")
                    .isInstanceOf(IOException.class);
            c.close();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCallWhoseRequestStreamThePeerStopsReadingFailsAsALostConnectionNotAsAMissingResponse(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path temp) {
        HalibutLimits limits = HalibutLimits.defaults().withWriteTimeout(WRITE_TIMEOUT);
        TransportFixture.Exchanges exchanges = fixture.exchanges(temp);
        dev.halibut.wire.MessageCodec codec = exchanges.codec();
        RequestExchange exchange = exchanges.exchange();
        DataStream endless = DataStream.fromWriter(STREAM_LENGTH, out -> {
            byte[] chunk = new byte[64 * 1024];
            for (long left = STREAM_LENGTH; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        });
        try {
            Connection c = fixture.connect(limits);
            dev.halibut.EncodedMessage request = codec.encodeRequest("1", "Echo", "echo",
                    new java.lang.reflect.Type[] {DataStream.class}, new Object[] {endless});
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                assertThatThrownBy(() -> exchange.call(c, "1", request, Duration.ofMinutes(5)))
                        .isInstanceOfSatisfying(ExchangeException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ExchangeException.Kind.CONNECTION_LOST);
                            assertThat(e.getCause()).isInstanceOf(WriteTimeoutException.class)
                                    .hasMessageContaining("writeTimeout");
                        });
            });
            c.close();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
