package dev.halibut.polling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.net.URI;
import java.util.Map;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemoryPendingRequestQueueTest {

    private static final URI SUB = URI.create("poll://sub/");
    private static final String TP = "A".repeat(40);
    private static final String OTHER_TP = "B".repeat(40);
    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Duration NONE = Duration.ofMillis(1);

    private final InMemoryPendingRequestQueue queue = new InMemoryPendingRequestQueue();

    @AfterEach
    void close() {
        queue.close();
    }

    private static EncodedMessage msg(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return EncodedMessage.withoutStreams(b);
    }

    private static PollingException.Reason reasonOf(PendingCall call, Duration responseTimeout) {
        try {
            call.awaitResponse(responseTimeout);
            throw new AssertionError("expected a failure");
        } catch (PollingException e) {
            return e.reason();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** A CollectedRequest of another queue that implements only what the SPI requires: what its defaults say. */
    private static CollectedRequest onlyTheRequiredMethods(String id, EncodedMessage message) {
        return new CollectedRequest() {
            @Override
            public String requestId() {
                return id;
            }

            @Override
            public EncodedMessage request() {
                return message;
            }

            @Override
            public boolean sending() {
                return true;
            }

            @Override
            public void complete(ReceivedMessage response) {
            }

            @Override
            public void fail(String reason) {
            }

            @Override
            public void putBack() {
            }
        };
    }

    @Test
    void itsCollectedRequestsSayTheirStepsNeverBlockWhereTheSpisDefaultSaysTheyMay() throws Exception {
        queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        // What lets the listener mark, send and complete it without a worker thread (SubscriberSession).
        assertThat(queue.take(SUB, TP, NONE).nonBlocking()).isTrue();

        CollectedRequest unknown = onlyTheRequiredMethods("r2", msg(2));
        assertThat(unknown.nonBlocking()).as("a queue that does not say so keeps its steps on worker threads")
                .isFalse();
    }

    @Test
    void requestIsTakenOnceAndItsResponseDelivered() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        assertThat(queue.queuedCount(SUB)).isEqualTo(1);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.requestId()).isEqualTo("r1");
        assertThat(taken.request().bson()).containsExactly(1);
        assertThat(queue.take(SUB, TP, NONE)).isNull();
        assertThat(taken.sending()).isTrue();
        taken.complete(new ReceivedMessage(new byte[] {2}, Map.of()));
        assertThat(call.awaitResponse(LONG).bson()).containsExactly(2);
    }

    @Test
    void subscriptionNamesAreCaseInsensitiveAndIgnoreThePath() throws Exception {
        queue.enqueue(URI.create("poll://Sub/x"), TP, "r1", msg(), LONG);
        assertThat(queue.take(URI.create("poll://sub/"), TP, NONE)).isNotNull();
    }

    @Test
    void requestNotCollectedInTimeIsRemovedAndNeverHandedOut() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), Duration.ofMillis(50));
        assertThat(reasonOf(call, LONG)).isEqualTo(PollingException.Reason.NOT_COLLECTED);
        assertThat(queue.queuedCount(SUB)).isZero();
        assertThat(queue.take(SUB, TP, NONE)).isNull();
    }

    @Test
    void expiredRequestIsSkippedByTakersEvenBeforeItsCallerWakes() throws Exception {
        queue.enqueue(SUB, TP, "old", msg(), Duration.ofNanos(1));
        PendingCall fresh = queue.enqueue(SUB, TP, "fresh", msg(), LONG);
        assertThat(queue.take(SUB, TP, NONE).requestId()).isEqualTo("fresh");
        assertThat(fresh.cancel()).isFalse();
    }

    @Test
    void cancelledRequestIsNeverHandedOut() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        assertThat(call.cancel()).isTrue();
        assertThat(queue.take(SUB, TP, NONE)).isNull();
        assertThat(reasonOf(call, LONG)).isEqualTo(PollingException.Reason.CANCELLED);
    }

    @Test
    void requestTakenAlreadyCannotBeCancelled() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        assertThat(queue.take(SUB, TP, NONE)).isNotNull();
        assertThat(call.cancel()).isFalse();
    }

    @Test
    void putBackReturnsTheRequestToTheHeadOfTheQueue() throws Exception {
        queue.enqueue(SUB, TP, "first", msg(), LONG);
        queue.enqueue(SUB, TP, "second", msg(), LONG);
        CollectedRequest first = queue.take(SUB, TP, NONE);
        first.putBack();
        assertThat(queue.take(SUB, TP, NONE).requestId()).isEqualTo("first");
    }

    @Test
    void putBackAfterTheCollectionTimeoutTellsTheCallerItWasNotCollected() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), Duration.ofMillis(100));
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        Future<PollingException.Reason> outcome = caller.submit(() -> reasonOf(call, LONG));
        // The caller's collection deadline passes while the request is held by a (dying) connection.
        long until = System.nanoTime() + Duration.ofMillis(150).toNanos();
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        taken.putBack();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo(PollingException.Reason.NOT_COLLECTED);
        caller.shutdown();
        assertThat(queue.take(SUB, TP, NONE)).isNull();
    }

    @Test
    void aSentRequestPutBackUnreadGoesToTheNextTakerAndItsResponseReachesTheCaller() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        Future<ReceivedMessage> response = caller.submit(() -> call.awaitResponse(LONG));
        CollectedRequest first = queue.take(SUB, TP, NONE);
        assertThat(first.sending()).isTrue();
        // The service host ended its connection before it read the request: it did not run.
        first.putBackUnread("the service host ended the connection first");
        CollectedRequest second = queue.take(SUB, TP, NONE);
        assertThat(second.requestId()).isEqualTo("r1");
        assertThat(second.sending()).isTrue();
        second.complete(new ReceivedMessage(new byte[] {7}, Map.of()));
        assertThat(response.get(10, TimeUnit.SECONDS).bson()).containsExactly(7);
        caller.shutdown();
    }

    @Test
    void aSentRequestPutBackUnreadAfterTheCollectionTimeoutWasNotCollected() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), Duration.ofMillis(100));
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.sending()).isTrue();
        long until = System.nanoTime() + Duration.ofMillis(150).toNanos();
        while (System.nanoTime() < until) {
            Thread.onSpinWait(); // the collection deadline passes while the request is on a connection
        }
        taken.putBackUnread("the service host ended the connection first");
        assertThat(reasonOf(call, LONG)).isEqualTo(PollingException.Reason.NOT_COLLECTED);
        assertThat(queue.take(SUB, TP, NONE)).isNull();
    }

    @Test
    void requestsGoOnlyToTheExpectedThumbprint() throws Exception {
        queue.enqueue(SUB, TP, "r1", msg(), LONG);
        assertThat(queue.take(SUB, OTHER_TP, NONE)).isNull();
        assertThat(queue.queuedCount(SUB)).isEqualTo(1);
        assertThat(queue.take(SUB, TP.toLowerCase(), NONE)).isNotNull();
    }

    @Test
    void missingResponseTimesOutAndALateOneIsIgnored() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        taken.sending();
        assertThat(reasonOf(call, Duration.ofMillis(50))).isEqualTo(PollingException.Reason.NO_RESPONSE);
        taken.complete(new ReceivedMessage(new byte[] {1}, Map.of()));
        assertThat(reasonOf(call, Duration.ofMillis(50))).isEqualTo(PollingException.Reason.NO_RESPONSE);
    }

    @Test
    void failedConnectionFailsTheCall() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        taken.sending();
        taken.fail("connection reset");
        assertThat(reasonOf(call, LONG)).isEqualTo(PollingException.Reason.CONNECTION_LOST);
    }

    @Test
    void closeFailsQueuedAndInFlightCallsAndRefusesNewOnes() throws Exception {
        PendingCall queued = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        PendingCall inFlight = queue.enqueue(SUB, TP, "r2", msg(), LONG);
        queue.take(SUB, TP, NONE);
        queue.close();
        assertThat(reasonOf(queued, LONG)).isEqualTo(PollingException.Reason.CLOSED);
        assertThat(reasonOf(inFlight, LONG)).isEqualTo(PollingException.Reason.CLOSED);
        assertThat(reasonOf(queue.enqueue(SUB, TP, "r3", msg(), LONG), LONG)).isEqualTo(PollingException.Reason.CLOSED);
        assertThat(queue.take(SUB, TP, Duration.ofSeconds(5))).isNull();
    }

    @Test
    void waitingTakerWakesWhenARequestArrives() throws Exception {
        ExecutorService taker = Executors.newSingleThreadExecutor();
        try {
            Future<CollectedRequest> taken = taker.submit(() -> queue.take(SUB, TP, LONG));
            queue.enqueue(SUB, TP, "r1", msg(), LONG);
            assertThat(taken.get(10, TimeUnit.SECONDS).requestId()).isEqualTo("r1");
        } finally {
            taker.shutdownNow();
        }
    }

    @Test
    void concurrentTakersReceiveEachRequestExactlyOnce() throws Exception {
        int requests = 2000;
        ExecutorService takers = Executors.newFixedThreadPool(4);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        List<Future<Integer>> counts = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                counts.add(takers.submit(() -> {
                    int n = 0;
                    CollectedRequest r;
                    while ((r = queue.take(SUB, TP, Duration.ofMillis(500))) != null) {
                        assertThat(seen.add(r.requestId())).as("delivered twice: " + r.requestId()).isTrue();
                        n++;
                    }
                    return n;
                }));
            }
            for (int i = 0; i < requests; i++) {
                queue.enqueue(SUB, TP, "r" + i, msg(), LONG);
            }
            int total = 0;
            for (Future<Integer> c : counts) {
                total += c.get(60, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(requests);
            assertThat(seen).hasSize(requests);
        } finally {
            takers.shutdownNow();
        }
    }

    @Test
    void interruptedCallerCanWithdrawItsRequest() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> call.awaitResponse(LONG)).isInstanceOf(InterruptedException.class);
        assertThat(call.cancel()).isTrue();
        assertThat(queue.take(SUB, TP, NONE)).isNull();
    }

    /** Waits (with a deadline) until {@code t} is parked: a caller waiting in awaitResponse. */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (t.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime() - deadline).as("the caller waits").isNegative();
            // A thread's state has no event to wait on: look again in a millisecond, until the deadline.
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void aCallerWaitingBeforeTheSendStillGetsItsResponseTimeout() throws Exception {
        // The send does not wake the waiting caller: its response deadline must still hold, not the (much later)
        // collection deadline it was waiting for. Waited for by the thread that queued the request, and by another.
        for (boolean sameThread : new boolean[] {true, false}) {
            String id = "r-" + sameThread;
            PendingCall[] call = {sameThread ? null : queue.enqueue(SUB, TP, id, msg(), Duration.ofMinutes(10))};
            java.util.concurrent.CompletableFuture<PollingException.Reason> outcome =
                    new java.util.concurrent.CompletableFuture<>();
            Thread caller = new Thread(() -> {
                PendingCall c = call[0] != null ? call[0] : queue.enqueue(SUB, TP, id, msg(), Duration.ofMinutes(10));
                outcome.complete(reasonOf(c, Duration.ofMillis(200)));
            });
            caller.start();
            awaitParked(caller);
            CollectedRequest taken = queue.take(SUB, TP, NONE);
            assertThat(taken.requestId()).isEqualTo(id);
            assertThat(taken.sending()).isTrue();
            assertThat(outcome.get(60, TimeUnit.SECONDS)).as("same thread: " + sameThread)
                    .isEqualTo(PollingException.Reason.NO_RESPONSE);
        }
    }

    @Test
    void theThreadThatQueuedARequestIsWokenByItsResponseAndByAPutBack() throws Exception {
        java.util.concurrent.CompletableFuture<Object> outcome = new java.util.concurrent.CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                outcome.complete(queue.enqueue(SUB, TP, "r1", msg(), Duration.ofMinutes(10))
                        .awaitResponse(Duration.ofMinutes(10)));
            } catch (Exception e) {
                outcome.complete(e);
            }
        });
        caller.start();
        awaitParked(caller);
        CollectedRequest first = queue.take(SUB, TP, NONE);
        assertThat(first.sending()).isTrue();
        first.putBackUnread("the service host ended the connection first");
        CollectedRequest second = queue.take(SUB, TP, NONE);
        assertThat(second.sending()).isTrue();
        awaitParked(caller);
        second.complete(new ReceivedMessage(new byte[] {5}, Map.of()));
        assertThat(outcome.get(60, TimeUnit.SECONDS)).isInstanceOf(ReceivedMessage.class);
        assertThat(((ReceivedMessage) outcome.get()).bson()).containsExactly(5);
    }

    @Test
    void aCallerWaitingForItsResponseIsWokenByItAndByAnInterrupt() throws Exception {
        PendingCall answered = queue.enqueue(SUB, TP, "r1", msg(), LONG);
        java.util.concurrent.CompletableFuture<ReceivedMessage> response = new java.util.concurrent.CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                response.complete(answered.awaitResponse(Duration.ofMinutes(10)));
            } catch (Exception e) {
                response.completeExceptionally(e);
            }
        });
        caller.start();
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.sending()).isTrue();
        awaitParked(caller);
        taken.complete(new ReceivedMessage(new byte[] {9}, Map.of()));
        assertThat(response.get(60, TimeUnit.SECONDS).bson()).containsExactly(9);

        PendingCall interrupted = queue.enqueue(SUB, TP, "r2", msg(), Duration.ofMinutes(10));
        java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
        Thread waiting = new Thread(() -> {
            try {
                interrupted.awaitResponse(Duration.ofMinutes(10));
                failure.complete(null);
            } catch (Exception e) {
                failure.complete(e);
            }
        });
        waiting.start();
        awaitParked(waiting);
        waiting.interrupt();
        assertThat(failure.get(60, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(interrupted.cancel()).isTrue();
    }

    /** A response with one stream whose release (a discard, or the end of a read) is counted in {@code released}. */
    private static ReceivedMessage responseWithStream(java.util.concurrent.atomic.AtomicInteger released) {
        dev.halibut.DataStream stream = dev.halibut.DataStream.received(java.util.UUID.randomUUID(), 3,
                new dev.halibut.DataStream.Content() {
                    @Override
                    public java.io.InputStream open() {
                        return new java.io.ByteArrayInputStream(new byte[3]);
                    }

                    @Override
                    public void release() {
                        released.incrementAndGet();
                    }
                });
        return new ReceivedMessage(new byte[] {9}, Map.of(stream.id(), stream));
    }

    @Test
    void itsCollectedRequestsTakeTheirResponsesStreamsAsTheyArriveWhereTheSpisDefaultStoresThemFirst() throws Exception {
        queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        // Its callers are in this process: the listener hands them the subscriber connection's streams unstored.
        assertThat(queue.take(SUB, TP, NONE).liveResponseStreams()).isTrue();
        CollectedRequest unknown = onlyTheRequiredMethods("r2", msg(2));
        assertThat(unknown.liveResponseStreams()).as("the SPI's default").isFalse();
        assertThat(unknown.callerResponseTimeout()).as("the SPI's default").isEmpty();
    }

    @Test
    void aTakenRequestKnowsItsCallersResponseTimeoutOnceTheCallerWaits() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.callerResponseTimeout()).as("before the caller waits").isEmpty();
        assertThat(taken.sending()).isTrue();
        taken.complete(new ReceivedMessage(new byte[] {9}, Map.of()));
        call.awaitResponse(Duration.ofSeconds(7));
        assertThat(taken.callerResponseTimeout()).contains(Duration.ofSeconds(7));
    }

    @Test
    void aResponseThatComesAfterItsCallerCancelledHasItsStreamsDiscarded() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.sending()).isTrue();
        assertThat(call.cancel()).as("taken already: it may run").isFalse();
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        taken.complete(responseWithStream(released));
        assertThat(released).as("the stream nobody will read").hasValue(1);
        assertThat(reasonOf(call, LONG)).isEqualTo(PollingException.Reason.CANCELLED);
        assertThat(call.cancel()).as("still: it was sent, so it may have run").isFalse();
    }

    @Test
    void aTakenRequestWhoseCallerCancelledIsNotSentNorQueuedAgain() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(call.cancel()).isFalse();
        assertThat(taken.sending()).as("its caller is gone").isFalse();
        taken.putBack();
        assertThat(queue.take(SUB, TP, NONE)).isNull();
        assertThat(queue.queuedCount(SUB)).isZero();
    }

    @Test
    void aResponseThatCameAsItsCallersWaitWasInterruptedIsDiscardedByCancel() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.sending()).isTrue();
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        taken.complete(responseWithStream(released));
        Thread.currentThread().interrupt(); // the caller's wait ends before it takes the response
        assertThatThrownBy(() -> call.awaitResponse(LONG)).isInstanceOf(InterruptedException.class);
        assertThat(released).hasValue(0);
        assertThat(call.cancel()).isFalse();
        assertThat(released).as("the stream of the response nobody took").hasValue(1);
    }

    @Test
    void theResponseIsReturnedOnceAndNotKeptAfterwards() throws Exception {
        PendingCall call = queue.enqueue(SUB, TP, "r1", msg(1), LONG);
        CollectedRequest taken = queue.take(SUB, TP, NONE);
        assertThat(taken.sending()).isTrue();
        java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        taken.complete(responseWithStream(released));
        assertThat(call.awaitResponse(LONG).bson()).containsExactly(9);
        assertThatThrownBy(() -> call.awaitResponse(LONG)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("r1");
        assertThat(call.cancel()).isFalse();
        assertThat(released).as("the caller's stream, untouched by cancel after it was returned").hasValue(0);
    }
}
