package dev.halibut.polling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PendingRequestQueue#takeAsync}: the in-memory queue's (no thread waits) and the SPI's default (a blocking
 * take on the given executor, for queues that do not override it). Either way a request goes to a waiting taker
 * of its subscription and thumbprint, a taker that leaves loses nothing, and close ends the wait.
 */
class AsyncTakeTest {

    private static final URI SUB = URI.create("poll://sub/");
    private static final String TP = "A".repeat(40);
    private static final String OTHER_TP = "B".repeat(40);
    private static final Duration LONG = Duration.ofSeconds(30);

    private final InMemoryPendingRequestQueue memory = new InMemoryPendingRequestQueue();
    /** The same queue seen through the SPI's default takeAsync. */
    private final PendingRequestQueue withDefault = new PendingRequestQueue() {
        @Override
        public PendingCall enqueue(URI s, String tp, String id, EncodedMessage request, Duration timeout) {
            return memory.enqueue(s, tp, id, request, timeout);
        }

        @Override
        public CollectedRequest take(URI s, String tp, Duration maxWait) throws InterruptedException {
            takes.incrementAndGet();
            return memory.take(s, tp, maxWait);
        }

        @Override
        public int queuedCount(URI s) {
            return memory.queuedCount(s);
        }

        @Override
        public void close() {
            memory.close();
        }
    };
    private final AtomicInteger takes = new AtomicInteger();
    private final ExecutorService blocking = Executors.newCachedThreadPool();

    @AfterEach
    void close() throws InterruptedException {
        memory.close();
        blocking.shutdownNow();
        assertThat(blocking.awaitTermination(10, TimeUnit.SECONDS)).as("the default's blocking takes ended").isTrue();
    }

    private PendingRequestQueue queue(boolean inMemory) {
        return inMemory ? memory : withDefault;
    }

    private static EncodedMessage msg(int b) {
        return EncodedMessage.withoutStreams(new byte[] {(byte) b});
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aWaitingTakerGetsTheNextRequestOfItsThumbprintOnly(boolean inMemory) throws Exception {
        PendingRequestQueue q = queue(inMemory);
        CompletableFuture<CollectedRequest> mine = q.takeAsync(SUB, TP, blocking);
        CompletableFuture<CollectedRequest> other = q.takeAsync(SUB, OTHER_TP, blocking);
        assertThat(mine).isNotDone();
        PendingCall call = q.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = mine.get(10, TimeUnit.SECONDS);
        assertThat(taken.requestId()).isEqualTo("r1");
        assertThat(other).isNotDone();
        assertThat(taken.sending()).isTrue();
        taken.complete(new ReceivedMessage(new byte[] {9}, Map.of()));
        assertThat(call.awaitResponse(LONG).bson()).containsExactly(9);
        other.cancel(false);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aRequestQueuedBeforeTheTakerComesIsHandedOutAtOnce(boolean inMemory) throws Exception {
        PendingRequestQueue q = queue(inMemory);
        q.enqueue(SUB, TP, "r1", msg(1), LONG);
        assertThat(q.takeAsync(SUB, TP, blocking).get(10, TimeUnit.SECONDS).requestId()).isEqualTo("r1");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aTakerThatLeftLosesNothingTheNextTakerGetsTheRequest(boolean inMemory) throws Exception {
        PendingRequestQueue q = queue(inMemory);
        CompletableFuture<CollectedRequest> left = q.takeAsync(SUB, TP, blocking);
        assertThat(left.cancel(false)).isTrue();
        q.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = q.takeAsync(SUB, TP, blocking).get(10, TimeUnit.SECONDS);
        assertThat(taken.requestId()).isEqualTo("r1");
        assertThat(q.queuedCount(SUB)).isZero();
    }

    @Test
    void theInMemoryQueueForgetsATakerThatLeftAtOnce() throws Exception {
        for (int i = 0; i < 1000; i++) {
            memory.takeAsync(SUB, TP, blocking).cancel(false);
        }
        memory.enqueue(SUB, TP, "r1", msg(1), LONG);
        assertThat(memory.queuedCount(SUB)).as("no taker that left took it").isEqualTo(1);
        assertThat(memory.takeAsync(SUB, TP, Runnable::run).get(10, TimeUnit.SECONDS).requestId()).isEqualTo("r1");
    }

    @Test
    void theInMemoryQueueWaitsWithoutAThread() throws Exception {
        // An executor that refuses everything: the in-memory queue never needs one.
        CompletableFuture<CollectedRequest> f = memory.takeAsync(SUB, TP, r -> {
            throw new AssertionError("the in-memory queue asked for a thread");
        });
        memory.enqueue(SUB, TP, "r1", msg(1), LONG);
        assertThat(f.get(10, TimeUnit.SECONDS).requestId()).isEqualTo("r1");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void closeEndsTheWaitWithNull(boolean inMemory) throws Exception {
        PendingRequestQueue q = queue(inMemory);
        CompletableFuture<CollectedRequest> f = q.takeAsync(SUB, TP, blocking);
        q.close();
        assertThat(f.get(10, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void theDefaultEndsItsBlockingTakeOnceTheTakerLeft() throws Exception {
        CompletableFuture<CollectedRequest> f = withDefault.takeAsync(SUB, TP, blocking);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (takes.get() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(takes.get()).as("the default's take started").isEqualTo(1);
        f.cancel(false);
        blocking.shutdown();
        // Its take runs out within one slice (1 s); then the loop sees the taker left and takes no more.
        assertThat(blocking.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(takes.get()).as("no further take after the taker left").isEqualTo(1);
    }
}
