package dev.halibut.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PollingException;
import dev.halibut.polling.PollingException.Reason;
import dev.halibut.EncodedMessage;
import dev.halibut.ReceivedMessage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The queue's rules across two nodes (two queue objects) sharing one real Redis. */
class RedisPendingRequestQueueTest {

    /** A new thread per blocking task: CompletableFuture's default executor is, from JDK 19 on, the common
     *  ForkJoinPool even with one worker (two cores), where a blocked task holds up the others. */
    private static final java.util.concurrent.Executor OWN_THREAD = task -> {
        Thread t = new Thread(task, "test-task");
        t.setDaemon(true);
        t.start();
    };

    static final URI SUB = URI.create("poll://sub/");
    static final String TP = "A".repeat(40);
    static final String OTHER_TP = "B".repeat(40);
    static final Duration LONG = Duration.ofSeconds(30);
    static final Duration SHORT_WAIT = Duration.ofMillis(50);

    /** Small timeouts keep the node-failure tests short. */
    static final RedisQueueSettings FAST = RedisQueueSettings.defaults()
            .withHeartbeat(Duration.ofMillis(100), Duration.ofMillis(500))
            .withCommandTimeout(Duration.ofSeconds(2));

    @RegisterExtension
    static final RedisServer redis = RedisServer.emptiedBeforeEachTest();

    private final List<RedisPendingRequestQueue> queues = new ArrayList<>();
    private RedisPendingRequestQueue nodeA;
    private RedisPendingRequestQueue nodeB;

    @BeforeEach
    void connect() {
        nodeA = node(FAST);
        nodeB = node(FAST);
    }

    @AfterEach
    void close() {
        queues.forEach(RedisPendingRequestQueue::close);
    }

    private RedisPendingRequestQueue node(RedisQueueSettings settings) {
        RedisPendingRequestQueue q = RedisPendingRequestQueue.connect(redis.uri(), settings);
        queues.add(q);
        return q;
    }

    static EncodedMessage msg(String text) {
        return EncodedMessage.withoutStreams(text.getBytes(StandardCharsets.UTF_8));
    }

    static ReceivedMessage reply(String text) {
        return new ReceivedMessage(text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static PollingException failure(PendingCall call, Duration responseTimeout) {
        try {
            call.awaitResponse(responseTimeout);
            throw new AssertionError("expected the call to fail");
        } catch (PollingException e) {
            return e;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void requestQueuedOnOneNodeIsCollectedOnTheOtherAndItsResponseReturns() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "a-1", msg("ping"), LONG);
        assertThat(nodeB.queuedCount(SUB)).isEqualTo(1);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.requestId()).isEqualTo("a-1");
        assertThat(text(taken.request().bson())).isEqualTo("ping");
        assertThat(taken.sending()).isTrue();
        taken.complete(reply("pong"));
        assertThat(text(call.awaitResponse(LONG).bson())).isEqualTo("pong");
        assertThat(nodeA.queuedCount(SUB)).isZero();
    }

    @Test
    void crossNodeCallsWorkInBothDirections() throws Exception {
        PendingCall fromB = nodeB.enqueue(SUB, TP, "b-1", msg("from b"), LONG);
        CollectedRequest atA = nodeA.take(SUB, TP, LONG);
        assertThat(atA.sending()).isTrue();
        atA.complete(reply("answered by a"));
        assertThat(text(fromB.awaitResponse(LONG).bson())).isEqualTo("answered by a");

        PendingCall fromA = nodeA.enqueue(SUB, TP, "a-1", msg("from a"), LONG);
        CollectedRequest atB = nodeB.take(SUB, TP, LONG);
        assertThat(atB.sending()).isTrue();
        atB.complete(reply("answered by b"));
        assertThat(text(fromA.awaitResponse(LONG).bson())).isEqualTo("answered by b");
    }

    @Test
    void eachRequestIsTakenByExactlyOneOfManyTakersOnThreeNodes() throws Exception {
        RedisPendingRequestQueue nodeC = node(FAST);
        int n = 300;
        List<PendingCall> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add((i % 2 == 0 ? nodeA : nodeC).enqueue(SUB, TP, "r-" + i, msg("m" + i), LONG));
        }
        Map<String, AtomicInteger> takes = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        ExecutorService takers = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                RedisPendingRequestQueue q = List.of(nodeA, nodeB, nodeC).get(t % 3);
                futures.add(takers.submit(() -> {
                    while (done.get() < n) {
                        CollectedRequest r = q.take(SUB, TP, SHORT_WAIT);
                        if (r != null) {
                            takes.computeIfAbsent(r.requestId(), k -> new AtomicInteger()).incrementAndGet();
                            if (r.sending()) {
                                r.complete(reply("ok " + r.requestId()));
                                done.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < n; i++) {
                assertThat(text(calls.get(i).awaitResponse(LONG).bson())).isEqualTo("ok r-" + i);
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            takers.shutdownNow();
        }
        assertThat(takes).hasSize(n);
        assertThat(takes.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
    }

    @Test
    void requestNotCollectedInTimeFailsAndIsNeverHandedOutLater() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "late", msg("x"), Duration.ofMillis(200));
        PollingException e = failure(call, LONG);
        assertThat(e.reason()).isEqualTo(Reason.NOT_COLLECTED);
        assertThat(e.getMessage()).contains("will never run").contains("Redis at 127.0.0.1:" + redis.port());
        assertThat(nodeB.take(SUB, TP, SHORT_WAIT)).isNull();
        assertThat(nodeB.queuedCount(SUB)).isZero();
    }

    @Test
    void collectingChecksTheDeadlineItselfEvenWhenTheCallerIsNotLooking() throws Exception {
        PendingCall expired = nodeA.enqueue(SUB, TP, "expired", msg("x"), Duration.ofMillis(100));
        PendingCall fresh = nodeA.enqueue(SUB, TP, "fresh", msg("y"), LONG);
        // The fresh request is behind the expired one; once the fresh one is collected, the expired one has
        // been popped first and judged by the collect script.
        CollectedRequest first = awaitTake(nodeB, "fresh", Duration.ofMillis(100));
        assertThat(first.requestId()).isEqualTo("fresh");
        assertThat(failure(expired, LONG).reason()).isEqualTo(Reason.NOT_COLLECTED);
        first.putBack();
        fresh.cancel();
    }

    /** Takes until the request with {@code id} comes, requiring at least {@code minAge} to have passed. */
    private static CollectedRequest awaitTake(RedisPendingRequestQueue q, String id, Duration minAge) throws Exception {
        long start = System.nanoTime();
        long deadline = start + LONG.toNanos();
        while (System.nanoTime() < deadline) {
            if (System.nanoTime() - start < minAge.toNanos()) {
                Thread.onSpinWait();
                continue;
            }
            CollectedRequest r = q.take(SUB, TP, SHORT_WAIT);
            if (r != null && r.requestId().equals(id)) {
                return r;
            }
            if (r != null) {
                throw new AssertionError("collected " + r.requestId() + ", which had expired");
            }
        }
        throw new AssertionError(id + " was not collected");
    }

    @Test
    void cancellationOnTheCallersNodeWithdrawsTheRequestEverywhere() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "c", msg("x"), LONG);
        assertThat(call.cancel()).isTrue();
        assertThat(call.cancel()).isTrue();
        assertThat(nodeB.take(SUB, TP, SHORT_WAIT)).isNull();
        assertThat(failure(call, LONG).reason()).isEqualTo(Reason.CANCELLED);
    }

    @Test
    void aTakenRequestCannotBeCancelled() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "c", msg("x"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(call.cancel()).isFalse();
        assertThat(taken.sending()).isTrue();
        taken.complete(reply("ran"));
        assertThat(text(call.awaitResponse(LONG).bson())).isEqualTo("ran");
    }

    @Test
    void theExpectedThumbprintTravelsWithTheRequest() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP.toLowerCase(), "t", msg("x"), LONG);
        assertThat(nodeB.take(SUB, OTHER_TP, SHORT_WAIT)).isNull();
        assertThat(nodeB.take(URI.create("poll://other/"), TP, SHORT_WAIT)).isNull();
        CollectedRequest taken = nodeB.take(URI.create("poll://SUB/"), TP, LONG);
        assertThat(taken.requestId()).isEqualTo("t");
        assertThat(taken.sending()).isTrue();
        taken.complete(reply("ok"));
        assertThat(call.awaitResponse(LONG).bson()).isNotEmpty();
    }

    @Test
    void aRequestPutBackIsCollectedAgainFirstAndRunsOnce() throws Exception {
        PendingCall first = nodeA.enqueue(SUB, TP, "first", msg("1"), LONG);
        PendingCall second = nodeA.enqueue(SUB, TP, "second", msg("2"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.requestId()).isEqualTo("first");
        taken.putBack();
        assertThat(taken.sending()).isFalse();
        CollectedRequest again = nodeA.take(SUB, TP, LONG);
        assertThat(again.requestId()).isEqualTo("first");
        assertThat(again.sending()).isTrue();
        again.complete(reply("one"));
        assertThat(text(first.awaitResponse(LONG).bson())).isEqualTo("one");
        assertThat(second.cancel()).isTrue();
    }

    @Test
    void aSentRequestPutBackUnreadIsCollectedAgainAndRunsOnceButAPlainPutBackCannotReturnIt() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "unread", msg("1"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.sending()).isTrue();
        taken.putBack(); // sent: a plain put back must not return it
        assertThat(nodeA.take(SUB, TP, SHORT_WAIT)).isNull();
        // The service host ended its connection before it read the request: it did not run.
        taken.putBackUnread("the service host ended the connection first");
        assertThat(taken.sending()).isFalse();
        CollectedRequest again = nodeA.take(SUB, TP, LONG);
        assertThat(again.requestId()).isEqualTo("unread");
        assertThat(again.sending()).isTrue();
        again.complete(reply("once"));
        assertThat(text(call.awaitResponse(LONG).bson())).isEqualTo("once");
    }

    @Test
    void aSentRequestWithoutResponseFailsAfterTheResponseTimeout() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "slow", msg("x"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.sending()).isTrue();
        PollingException e = failure(call, Duration.ofMillis(300));
        assertThat(e.reason()).isEqualTo(Reason.NO_RESPONSE);
        taken.complete(reply("too late")); // discarded
    }

    @Test
    void aFailedExchangeFailsTheCallerOnTheOtherNode() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "f", msg("x"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.sending()).isTrue();
        taken.fail("connection reset");
        PollingException e = failure(call, LONG);
        assertThat(e.reason()).isEqualTo(Reason.CONNECTION_LOST);
        assertThat(e.getMessage()).contains("connection reset").contains("may have run");
    }

    @Test
    void closingTheCollectingNodeFailsTheCallerWithinTheNodeTimeoutNotTheResponseTimeout() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "orphan", msg("x"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.sending()).isTrue();
        nodeB.close(); // its heartbeat is gone: the request it took will never be answered
        PollingException e = failure(call, Duration.ofMinutes(10));
        assertThat(e.reason()).isEqualTo(Reason.CONNECTION_LOST);
        assertThat(e.getMessage()).contains(nodeB.nodeId()).contains("stopped heartbeating");
    }

    @Test
    void closingTheCallersNodeWithdrawsItsQueuedRequests() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "w", msg("x"), LONG);
        nodeA.close();
        assertThat(failure(call, LONG).reason()).isEqualTo(Reason.CLOSED);
        assertThat(nodeB.take(SUB, TP, SHORT_WAIT)).isNull();
    }

    @Test
    void withRedisDownCallsFailNamingRedisTakersWaitNoLongerThanAskedAndAllWorksOnceItIsBack() throws Exception {
        PendingCall queued = nodeA.enqueue(SUB, TP, "before", msg("x"), LONG);
        redis.kill();
        try {
            PollingException lost = failure(queued, LONG);
            assertThat(lost.reason()).isEqualTo(Reason.QUEUE_UNAVAILABLE);
            assertThat(lost.getMessage()).contains("Redis at 127.0.0.1:" + redis.port());
            assertThat(lost.getMessage()).contains("will not run from now on");
            PollingException refused = failure(nodeA.enqueue(SUB, TP, "during", msg("y"), LONG), LONG);
            assertThat(refused.reason()).isEqualTo(Reason.QUEUE_UNAVAILABLE);
            assertThat(refused.getMessage()).contains("Redis at 127.0.0.1:" + redis.port()).contains("will not run");
            assertThat(nodeB.take(SUB, TP, Duration.ofMillis(300))).isNull();
        } finally {
            redis.start();
        }
        SharedQueueRuntimesTest.await("a round trip through the restarted Redis", () -> {
            PendingCall call = nodeA.enqueue(SUB, TP, "after-" + System.nanoTime(), msg("z"), LONG);
            try {
                CollectedRequest taken = nodeB.take(SUB, TP, SHORT_WAIT);
                if (taken == null || !taken.sending()) {
                    call.cancel();
                    return false;
                }
                taken.complete(reply("back"));
                return text(call.awaitResponse(LONG).bson()).equals("back");
            } catch (PollingException e) {
                return false;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void closeEndsTheNodesThreadsAndRemovesItsHeartbeat() throws Exception {
        RedisPendingRequestQueue node = node(FAST);
        String prefix = "halibut-redis-" + node.nodeId();
        assertThat(threadsNamed(prefix)).as("heartbeat, inbox, takers").hasSize(3);
        try (var j = redis.client()) {
            assertThat(j.exists("halibut:n:" + node.nodeId())).isTrue();
            node.close();
            node.close(); // twice is fine
            assertThat(j.exists("halibut:n:" + node.nodeId())).isFalse();
        }
        assertThat(threadsNamed(prefix)).isEmpty();
    }

    private static List<Thread> threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).toList();
    }

    @Test
    void aFrozenRedisFailsCallsWithinTheCommandTimeoutAndTakersReturnNothingHangs() throws Exception {
        PendingCall queued = nodeA.enqueue(SUB, TP, "before-freeze", msg("x"), LONG);
        redis.freeze();
        try {
            long start = System.nanoTime();
            PollingException e = failure(queued, LONG);
            assertThat(e.reason()).isEqualTo(Reason.QUEUE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("Redis at 127.0.0.1:" + redis.port());
            assertThat(nodeB.take(SUB, TP, Duration.ofMillis(200))).isNull();
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("bounded by the command timeouts (2 s each), not the 30 s collection timeout")
                    .isLessThan(Duration.ofSeconds(25));
        } finally {
            redis.resume();
        }
        // The freeze outlasted the node timeout, so node A counts as having been dead meanwhile: its request
        // queued before stays withdrawn and never runs, and A's new calls work.
        assertThat(nodeB.take(SUB, TP, Duration.ofMillis(300))).isNull();
        try (var j = redis.client()) {
            // Withdrawn; or already deleted, when node A's look at its ended request (the CHECK script) ran after
            // the thaw. Either way it was never handed out: the take above found nothing, and the next take below
            // gets the request queued after the thaw.
            if (j.exists("halibut:r:before-freeze")) {
                assertThat(j.hget("halibut:r:before-freeze", "outcome")).isEqualTo("WITHDRAWN");
            }
        }
        PendingCall after = nodeA.enqueue(SUB, TP, "after-freeze", msg("y"), LONG);
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.requestId()).isEqualTo("after-freeze");
        assertThat(taken.sending()).isTrue();
        taken.complete(reply("thawed"));
        assertThat(text(after.awaitResponse(LONG).bson())).isEqualTo("thawed");
    }

    @Test
    void aRedisOutageShorterThanTheNodeTimeoutDoesNotFailAWaitingCall() throws Exception {
        RedisPendingRequestQueue patient = node(FAST.withHeartbeat(Duration.ofMillis(100), Duration.ofSeconds(20)));
        PendingCall call = patient.enqueue(SUB, TP, "patient", msg("x"), LONG);
        java.util.concurrent.CompletableFuture<ReceivedMessage> response = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return call.awaitResponse(LONG);
            } catch (PollingException | InterruptedException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, OWN_THREAD);
        redis.freeze(); // nothing is lost, Redis just stops answering for a while
        try {
            SharedQueueRuntimesTest.await("the caller to look at its request and fail to reach Redis", () ->
                    redisCommandTimedOut(patient));
        } finally {
            redis.resume();
        }
        CollectedRequest taken = nodeB.take(SUB, TP, LONG);
        assertThat(taken.requestId()).isEqualTo("patient");
        assertThat(taken.sending()).isTrue();
        taken.complete(reply("still here"));
        assertThat(text(response.get(30, TimeUnit.SECONDS).bson())).isEqualTo("still here");
    }

    /** True once a command of {@code queue} has failed against the frozen Redis (its heartbeat thread's, say). */
    private static boolean redisCommandTimedOut(RedisPendingRequestQueue queue) {
        try {
            queue.queuedCount(SUB);
            return false;
        } catch (IllegalStateException e) {
            return e.getMessage().contains("Redis at");
        }
    }

    @Test
    void aDuplicateRequestIdIsRefused() {
        nodeA.enqueue(SUB, TP, "dup", msg("x"), LONG);
        PollingException e = failure(nodeB.enqueue(SUB, TP, "dup", msg("y"), LONG), LONG);
        assertThat(e.reason()).isEqualTo(Reason.REFUSED);
        assertThat(e.getMessage()).contains("dup");
    }

    @Test
    void streamsTravelThroughRedisInChunksBothWays() throws Exception {
        RedisQueueSettings small = FAST.withStreamChunkSize(4096);
        RedisPendingRequestQueue a = node(small);
        RedisPendingRequestQueue b = node(small);
        byte[] payload = new byte[300_000];
        new Random(1).nextBytes(payload);
        DataStream upload = DataStream.fromWriter(payload.length, out -> {
            for (int i = 0; i < payload.length; i += 1000) {
                out.write(payload, i, Math.min(1000, payload.length - i));
            }
        });
        PendingCall call = a.enqueue(SUB, TP, "s", new EncodedMessage("req".getBytes(StandardCharsets.UTF_8),
                List.of(upload)), LONG);
        CollectedRequest taken = b.take(SUB, TP, LONG);
        DataStream received = taken.request().streams().get(0);
        assertThat(received.id()).isEqualTo(upload.id());
        assertThat(received.length()).isEqualTo(payload.length);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        received.writeContentTo(sent);
        assertThat(sent.toByteArray()).isEqualTo(payload);
        assertThat(taken.sending()).isTrue();

        byte[] answer = "x".repeat(10_000).getBytes(StandardCharsets.UTF_8);
        DataStream result = DataStream.fromBytes(answer);
        taken.complete(new ReceivedMessage("resp".getBytes(StandardCharsets.UTF_8), Map.of(result.id(), result)));
        ReceivedMessage response = call.awaitResponse(LONG);
        assertThat(response.streams()).containsOnlyKeys(result.id());
        assertThat(response.streams().get(result.id()).readAllBytes()).isEqualTo(answer);
        try (var j = redis.client()) {
            assertThat(j.keys("halibut:s:*")).as("streams are deleted once read or the call ended").isEmpty();
        }
    }

    @Test
    void streamsBeyondTheMaximumPerMessageAreRefusedWithAClearError() throws Exception {
        RedisPendingRequestQueue a = node(FAST.withMaxStreamBytes(1000));
        RedisPendingRequestQueue b = node(FAST.withMaxStreamBytes(1000));
        PollingException e = failure(a.enqueue(SUB, TP, "big", new EncodedMessage(new byte[1],
                List.of(DataStream.fromBytes(new byte[600]), DataStream.fromBytes(new byte[600]))), LONG), LONG);
        assertThat(e.reason()).isEqualTo(Reason.REFUSED);
        assertThat(e.getMessage()).contains("1200").contains("1000").contains("maxStreamBytes").contains("never queued");
        assertThat(b.take(SUB, TP, SHORT_WAIT)).isNull();

        PendingCall call = a.enqueue(SUB, TP, "big-answer", msg("x"), LONG);
        CollectedRequest taken = b.take(SUB, TP, LONG);
        assertThat(taken.sending()).isTrue();
        DataStream huge = DataStream.fromBytes(new byte[5000]);
        taken.complete(new ReceivedMessage(new byte[1], Map.of(huge.id(), huge)));
        PollingException refused = failure(call, LONG);
        assertThat(refused.reason()).isEqualTo(Reason.REFUSED);
        assertThat(refused.getMessage()).contains("response").contains("5000").contains("maxStreamBytes");
    }

    @Test
    void tenThousandQueuedRequestsAreAllCollectedOnceAndAnswered() throws Exception {
        int n = 10_000;
        List<PendingCall> calls = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            calls.add(nodeA.enqueue(SUB, TP, "q-" + i, msg("m" + i), LONG));
        }
        assertThat(nodeB.queuedCount(SUB)).isEqualTo(n);
        Set<String> taken = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        ExecutorService takers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                RedisPendingRequestQueue q = t % 2 == 0 ? nodeA : nodeB;
                futures.add(takers.submit(() -> {
                    CollectedRequest r;
                    while ((r = q.take(SUB, TP, SHORT_WAIT)) != null) {
                        if (!taken.add(r.requestId())) {
                            duplicates.incrementAndGet();
                        }
                        if (r.sending()) {
                            r.complete(reply(r.requestId()));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            takers.shutdownNow();
        }
        assertThat(taken).hasSize(n);
        assertThat(duplicates).hasValue(0);
        for (int i = 0; i < n; i++) {
            assertThat(text(calls.get(i).awaitResponse(LONG).bson())).isEqualTo("q-" + i);
        }
    }
}
