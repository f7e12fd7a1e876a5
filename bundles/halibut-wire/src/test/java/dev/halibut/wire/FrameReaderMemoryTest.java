package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A frame's memory grows as its bytes arrive, and what incomplete frames hold beyond their first 64 KiB is
 * taken from a shared {@link MessageMemoryBudget} and given back when the frame is complete or fails.
 */
class FrameReaderMemoryTest {

    /** A new thread per blocking task: CompletableFuture's default executor is, from JDK 19 on, the common
     *  ForkJoinPool even with one worker (two cores), where a blocked task holds up the others. */
    private static final java.util.concurrent.Executor OWN_THREAD = task -> {
        Thread t = new Thread(task, "test-task");
        t.setDaemon(true);
        t.start();
    };

    private static final int MAX = 16 * 1024 * 1024;
    private static final int ANNOUNCED = MAX - 64;

    /** Bytes as a peer sends them: what has been queued, then blocking until more is queued or the end. */
    private static final class Peer extends InputStream {
        private static final byte[] END = new byte[0];
        private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int pos;
        private volatile boolean blocked;

        void send(byte[] bytes) {
            chunks.add(bytes);
        }

        void end() {
            chunks.add(END);
        }

        boolean blocked() {
            return blocked;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos == current.length) {
                if (current == END) {
                    return -1;
                }
                byte[] next = chunks.poll();
                if (next == null) {
                    blocked = true;
                    try {
                        next = chunks.take();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    } finally {
                        blocked = false;
                    }
                }
                current = next;
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    private static byte[] header(FrameType type, int length) {
        return new byte[] {(byte) type.code(), (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
                (byte) length};
    }

    private static void awaitBlocked(Peer peer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!peer.blocked()) {
            assertThat(System.nanoTime()).as("the reader waits for the peer within 30 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void aLargeAnnouncementFollowedBySilenceTakesNothingFromTheBudget() throws Exception {
        MessageMemoryBudget budget = new MessageMemoryBudget(MAX);
        Peer peer = new Peer();
        peer.send(header(FrameType.REQUEST, ANNOUNCED));
        peer.send(new byte[100]);
        FrameReader reader = new FrameReader(peer, MAX, budget);
        CompletableFuture<Frame> read = readInBackground(reader);
        awaitBlocked(peer);
        assertThat(budget.used()).as("memory taken for 100 bytes of a %d-byte message", ANNOUNCED).isZero();

        peer.end();
        assertThatThrownBy(read::join).hasRootCauseInstanceOf(ProtocolException.class)
                .hasMessageContaining("cut short: 100 of " + ANNOUNCED);
        assertThat(budget.used()).isZero();
    }

    @Test
    void memoryGrowsWithTheBytesThatArriveAndIsGivenBackWhenTheFrameIsComplete() throws Exception {
        MessageMemoryBudget budget = new MessageMemoryBudget(MAX);
        Peer peer = new Peer();
        int length = 3 * 1024 * 1024 + 17;
        byte[] payload = new byte[length];
        Arrays.fill(payload, (byte) 7);
        peer.send(header(FrameType.RESPONSE, length));
        peer.send(Arrays.copyOf(payload, 300 * 1024));
        FrameReader reader = new FrameReader(peer, MAX, budget);
        CompletableFuture<Frame> read = readInBackground(reader);
        awaitBlocked(peer);
        // 300 KiB arrived: the buffer is at most 512 KiB, of which the first 64 KiB are not charged.
        assertThat(budget.used()).isPositive().isLessThanOrEqualTo(512 * 1024 - FrameReader.UNCHARGED_BYTES);

        peer.send(Arrays.copyOfRange(payload, 300 * 1024, length));
        Frame frame = read.get(30, TimeUnit.SECONDS);
        assertThat(frame.payload()).isEqualTo(payload);
        assertThat(budget.used()).isZero();
    }

    @Test
    void aFrameThatCannotGetMemoryInTimeFailsWithoutKeepingAny() {
        MessageMemoryBudget budget = new MessageMemoryBudget(256 * 1024);
        Peer peer = new Peer();
        int length = 1024 * 1024;
        peer.send(header(FrameType.REQUEST, length));
        peer.send(new byte[length]);
        FrameReader reader = new FrameReader(peer, MAX, budget);

        assertThatThrownBy(() -> reader.read(Duration.ofMillis(1)))
                .isInstanceOf(MessageBudgetExceededException.class)
                .hasMessageContaining("REQUEST frame of " + length + " bytes")
                .hasMessageContaining("incompleteMessageBudget");
        assertThat(budget.used()).isZero();
    }

    @Test
    void aFrameWaitsForMemoryAnotherIncompleteFrameHoldsUntilThatOneGivesItBack() throws Exception {
        MessageMemoryBudget budget = new MessageMemoryBudget(1024 * 1024);
        // The first peer sends 900 KiB of a large message and stalls: its buffer (1 MiB) takes most of the budget.
        Peer stalled = new Peer();
        stalled.send(header(FrameType.REQUEST, ANNOUNCED));
        stalled.send(new byte[900 * 1024]);
        FrameReader first = new FrameReader(stalled, MAX, budget);
        CompletableFuture<Frame> firstRead = readInBackground(first);
        awaitBlocked(stalled);
        assertThat(budget.used()).isEqualTo(1024 * 1024 - FrameReader.UNCHARGED_BYTES);

        // A second, complete 200 KiB message needs 192 KiB of budget: it waits...
        Peer second = new Peer();
        byte[] payload = new byte[200 * 1024];
        second.send(header(FrameType.REQUEST, payload.length));
        second.send(payload);
        FrameReader reader = new FrameReader(second, MAX, budget);
        CompletableFuture<Frame> secondRead = readInBackground(reader);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (budget.waiting() == 0) {
            assertThat(System.nanoTime()).as("the second reader waits for memory within 30 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(secondRead).isNotDone();
        // ...until the stalled peer's connection ends and its memory is given back.
        stalled.end();
        assertThatThrownBy(firstRead::join).hasRootCauseInstanceOf(ProtocolException.class);
        assertThat(secondRead.get(30, TimeUnit.SECONDS).payload()).hasSize(payload.length);
        assertThat(budget.used()).isZero();
    }

    @Test
    void smallFramesNeverAskTheBudget() throws IOException {
        MessageMemoryBudget budget = new MessageMemoryBudget(1);
        Peer peer = new Peer();
        peer.send(header(FrameType.STREAM_DATA, FrameType.MAX_STREAM_CHUNK));
        peer.send(new byte[FrameType.MAX_STREAM_CHUNK]);
        assertThat(new FrameReader(peer, MAX, budget).read(Duration.ZERO).payload()).hasSize(FrameType.MAX_STREAM_CHUNK);
        assertThat(budget.used()).isZero();
    }

    /** Reads one frame on another thread, so the test can watch the budget while the reader waits for bytes. */
    private static CompletableFuture<Frame> readInBackground(FrameReader reader) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return reader.read(Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, OWN_THREAD);
    }
}
