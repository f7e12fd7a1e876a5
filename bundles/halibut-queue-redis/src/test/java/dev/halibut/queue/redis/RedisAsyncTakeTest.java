package dev.halibut.queue.redis;

import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.FAST;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.LONG;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.OTHER_TP;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.SUB;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.TP;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.failure;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.msg;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.reply;
import static dev.halibut.queue.redis.RedisPendingRequestQueueTest.text;
import static dev.halibut.queue.redis.SharedQueueRuntimesTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PollingException.Reason;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RedisPendingRequestQueue#takeAsync}: takers that wait without a thread, on two nodes (queue objects)
 * sharing one real Redis.
 */
class RedisAsyncTakeTest {

    private static final String TP_KEY = TP; // TP is upper-case already: the form the queue's keys use

    @RegisterExtension
    static final RedisServer redis = RedisServer.emptiedBeforeEachTest();

    private final List<RedisPendingRequestQueue> queues = new ArrayList<>();
    /** The listener's workers, as the runtime passes them: where the short collecting scripts run. */
    private ThreadPoolExecutor workers;
    private RedisPendingRequestQueue nodeA;
    private RedisPendingRequestQueue nodeB;

    @BeforeEach
    void connect() {
        workers = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        nodeA = node();
        nodeB = node();
    }

    @AfterEach
    void close() throws InterruptedException {
        queues.forEach(RedisPendingRequestQueue::close);
        workers.shutdownNow();
        assertThat(workers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    private RedisPendingRequestQueue node() {
        RedisPendingRequestQueue q = RedisPendingRequestQueue.connect(redis.uri(), FAST);
        queues.add(q);
        return q;
    }

    private CompletableFuture<CollectedRequest> takeAsync(RedisPendingRequestQueue q, URI sub, String tp) {
        return q.takeAsync(sub, tp, workers);
    }

    /** Waits until {@code q}'s takers of {@code sub} are registered in Redis: a request queued now wakes them. */
    private static void awaitRegistered(RedisPendingRequestQueue q, URI sub) {
        String key = "halibut:w:" + sub.getAuthority() + ":" + TP_KEY;
        await(q.nodeId() + " registered as waiting for " + sub, () -> {
            try (var j = redis.client()) {
                return j.sismember(key, q.nodeId());
            }
        });
    }

    private static CollectedRequest get(CompletableFuture<CollectedRequest> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    /** {@code taken} is the request {@code id}: it is sent and answered with {@code response}, which its caller gets. */
    private static void answer(CollectedRequest taken, String id, PendingCall call, String response) throws Exception {
        assertThat(taken.requestId()).isEqualTo(id);
        assertThat(taken.sending()).isTrue();
        taken.complete(reply(response));
        assertThat(text(call.awaitResponse(LONG).bson())).isEqualTo(response);
    }

    private static List<Thread> threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).toList();
    }

    @Test
    void aRequestQueuedOnOneNodeIsHandedToATakerWaitingOnTheOther() throws Exception {
        CompletableFuture<CollectedRequest> waiting = takeAsync(nodeB, SUB, TP);
        awaitRegistered(nodeB, SUB);
        assertThat(waiting).isNotDone();
        PendingCall call = nodeA.enqueue(SUB, TP, "a-1", msg("ping"), LONG);
        CollectedRequest taken = get(waiting);
        assertThat(taken.requestId()).isEqualTo("a-1");
        assertThat(text(taken.request().bson())).isEqualTo("ping");
        assertThat(taken.sending()).isTrue();
        taken.complete(reply("pong"));
        assertThat(text(call.awaitResponse(LONG).bson())).isEqualTo("pong");
    }

    @Test
    void aRequestQueuedBeforeTheTakerCameIsHandedOutAtOnce() throws Exception {
        PendingCall call = nodeA.enqueue(SUB, TP, "early", msg("x"), LONG);
        CollectedRequest taken = get(takeAsync(nodeB, SUB, TP));
        answer(taken, "early", call, "ok");
    }

    @Test
    void twoThousandWaitingTakersAcrossSubscriptionsHoldNoThreadAndAreServedInTheOrderTheyCame() throws Exception {
        int subscriptions = 200;
        int perSubscription = 10;
        long completedBefore = workers.getCompletedTaskCount();
        int threadsBefore = Thread.getAllStackTraces().size();
        Map<Integer, List<CompletableFuture<CollectedRequest>>> takers = new HashMap<>();
        for (int t = 0; t < perSubscription; t++) {
            for (int s = 0; s < subscriptions; s++) {
                takers.computeIfAbsent(s, k -> new ArrayList<>()).add(takeAsync(nodeB, sub(s), TP));
            }
        }
        // Every subscription's first look at Redis has run (at least one task each) and none is running now.
        await("the takers' first looks at their queues", () -> workers.getCompletedTaskCount() - completedBefore >= subscriptions
                && workers.getActiveCount() == 0 && workers.getQueue().isEmpty());
        assertThat(takers.values()).allSatisfy(list -> assertThat(list).allSatisfy(f -> assertThat(f).isNotDone()));
        assertThat(workers.getActiveCount()).as("no worker is held by a waiting taker").isZero();
        assertThat(threadsNamed("halibut-redis-" + nodeB.nodeId())).as("heartbeat, inbox, takers").hasSize(3);
        assertThat(Thread.getAllStackTraces().size() - threadsBefore)
                .as("2,000 waiting takers add no thread per taker (the 4 workers and a few of the JVM's)").isLessThan(20);

        Map<Integer, PendingCall> calls = new HashMap<>();
        for (int s = 0; s < subscriptions; s++) {
            calls.put(s, nodeA.enqueue(sub(s), TP, "req-" + s, msg("m" + s), LONG));
        }
        for (int s = 0; s < subscriptions; s++) {
            List<CompletableFuture<CollectedRequest>> list = takers.get(s);
            CollectedRequest taken = get(list.get(0));
            assertThat(taken.requestId()).as("the first taker of its subscription gets it").isEqualTo("req-" + s);
            assertThat(taken.sending()).isTrue();
            taken.complete(reply("done " + s));
            assertThat(list.subList(1, perSubscription)).allSatisfy(f -> assertThat(f).isNotDone());
        }
        for (int s = 0; s < subscriptions; s++) {
            assertThat(text(calls.get(s).awaitResponse(LONG).bson())).isEqualTo("done " + s);
        }

        String prefix = "halibut-redis-" + nodeB.nodeId();
        nodeB.close();
        for (List<CompletableFuture<CollectedRequest>> list : takers.values()) {
            for (CompletableFuture<CollectedRequest> f : list.subList(1, perSubscription)) {
                assertThat(f).as("closing the queue ends its waiting takers").isCompletedWithValue(null);
            }
        }
        assertThat(threadsNamed(prefix)).isEmpty();
    }

    private static URI sub(int i) {
        return URI.create("poll://sub-" + i + "/");
    }

    @Test
    void takersOfOneSubscriptionAreServedFirstComeFirstServed() throws Exception {
        CompletableFuture<CollectedRequest> first = takeAsync(nodeB, SUB, TP);
        CompletableFuture<CollectedRequest> second = takeAsync(nodeA, SUB, TP);
        CompletableFuture<CollectedRequest> third = takeAsync(nodeB, SUB, TP);
        awaitRegistered(nodeA, SUB);
        awaitRegistered(nodeB, SUB);
        nodeA.enqueue(SUB, TP, "r1", msg("1"), LONG);
        CollectedRequest one = get(first.applyToEither(second, r -> r));
        nodeA.enqueue(SUB, TP, "r2", msg("2"), LONG);
        nodeA.enqueue(SUB, TP, "r3", msg("3"), LONG);
        await("all three takers served", () -> first.isDone() && second.isDone() && third.isDone());
        assertThat(one.requestId()).isEqualTo("r1");
        // On node B the older taker is served first; each request goes to exactly one taker.
        List<String> atB = List.of(get(first).requestId(), get(third).requestId());
        assertThat(List.of(atB.get(0), atB.get(1), get(second).requestId())).containsExactlyInAnyOrder("r1", "r2", "r3");
        assertThat(Integer.parseInt(atB.get(0).substring(1))).isLessThan(Integer.parseInt(atB.get(1).substring(1)));
    }

    @Test
    void aTakerOnlyGetsRequestsForItsThumbprint() throws Exception {
        CompletableFuture<CollectedRequest> other = takeAsync(nodeB, SUB, OTHER_TP);
        CompletableFuture<CollectedRequest> mine = takeAsync(nodeB, SUB, TP.toLowerCase());
        awaitRegistered(nodeB, SUB);
        nodeA.enqueue(SUB, TP, "t", msg("x"), LONG);
        assertThat(get(mine).requestId()).isEqualTo("t");
        assertThat(other).isNotDone();
        assertThat(nodeA.queuedCount(SUB)).isZero();
        other.cancel(false);
    }

    @Test
    void aTakerThatLeftBeforeTheRequestCameLosesNoRequest() throws Exception {
        CompletableFuture<CollectedRequest> left = takeAsync(nodeB, SUB, TP);
        awaitRegistered(nodeB, SUB);
        assertThat(left.cancel(false)).isTrue();
        PendingCall call = nodeA.enqueue(SUB, TP, "kept", msg("x"), LONG);
        CollectedRequest taken = get(takeAsync(nodeB, SUB, TP));
        answer(taken, "kept", call, "ran once");
    }

    @Test
    void takersLeavingJustAsRequestsArriveLoseNoneAndNoneRunsTwice() throws Exception {
        ExecutorService racers = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 50; i++) {
                String id = "race-" + i;
                CompletableFuture<CollectedRequest> leaving = takeAsync(nodeB, SUB, TP);
                CountDownLatch go = new CountDownLatch(1);
                var enqueued = racers.submit(() -> {
                    go.await();
                    return nodeA.enqueue(SUB, TP, id, msg(id), LONG);
                });
                var cancelled = racers.submit(() -> {
                    go.await();
                    return leaving.cancel(false);
                });
                go.countDown();
                PendingCall call = enqueued.get(30, TimeUnit.SECONDS);
                CollectedRequest taken = cancelled.get(30, TimeUnit.SECONDS) ? get(takeAsync(nodeB, SUB, TP)) : get(leaving);
                answer(taken, id, call, id);
            }
        } finally {
            racers.shutdownNow();
        }
        assertThat(nodeA.queuedCount(SUB)).isZero();
    }

    @Test
    void anExpiredRequestIsNeverHandedToAnAsyncTaker() throws Exception {
        PendingCall expired = nodeA.enqueue(SUB, TP, "expired", msg("x"), Duration.ofMillis(100));
        PendingCall fresh = nodeA.enqueue(SUB, TP, "fresh", msg("y"), LONG);
        long start = System.nanoTime();
        while (System.nanoTime() - start < Duration.ofMillis(150).toNanos()) {
            Thread.onSpinWait(); // the collection deadline is the condition: it must have passed before the take
        }
        CollectedRequest taken = get(takeAsync(nodeB, SUB, TP));
        assertThat(taken.requestId()).isEqualTo("fresh");
        assertThat(failure(expired, LONG).reason()).isEqualTo(Reason.NOT_COLLECTED);
        taken.putBack();
        assertThat(fresh.cancel()).isTrue();
    }

    @Test
    void withRedisDownWaitingTakersCompleteWithNullAndAreServedAgainOnceItIsBack() throws Exception {
        CompletableFuture<CollectedRequest> waiting = takeAsync(nodeB, SUB, TP);
        awaitRegistered(nodeB, SUB);
        redis.kill();
        try {
            assertThat(get(waiting)).as("a waiting taker is told the queue cannot wait").isNull();
            assertThat(get(takeAsync(nodeB, SUB, TP))).as("so is one that comes during the outage").isNull();
        } finally {
            redis.start();
        }
        awaitServedAgain("an async taker served through the restarted Redis");
    }

    @Test
    void withRedisFrozenWaitingTakersCompleteWithNullNothingHangsAndAllWorksAfterTheThaw() throws Exception {
        CompletableFuture<CollectedRequest> waiting = takeAsync(nodeB, SUB, TP);
        awaitRegistered(nodeB, SUB);
        redis.freeze(); // it accepts connections and answers nothing: only the command timeouts end the waits
        try {
            assertThat(get(waiting)).as("a waiting taker is told the queue cannot wait").isNull();
        } finally {
            redis.resume();
        }
        awaitServedAgain("an async taker served after the thaw");
    }

    /** Until one succeeds: a request queued on node A is handed to a new asynchronous taker on node B and answered. */
    private void awaitServedAgain(String what) {
        await(what, () -> {
            PendingCall call = nodeA.enqueue(SUB, TP, "after-" + System.nanoTime(), msg("z"), LONG);
            CompletableFuture<CollectedRequest> take = takeAsync(nodeB, SUB, TP);
            try {
                CollectedRequest taken = take.get(5, TimeUnit.SECONDS);
                if (taken == null || !taken.sending()) {
                    call.cancel();
                    return false;
                }
                taken.complete(reply("back"));
                return text(call.awaitResponse(LONG).bson()).equals("back");
            } catch (java.util.concurrent.TimeoutException e) {
                take.cancel(false); // the request was not queued (Redis still failing for the caller): try again
                call.cancel();
                return false;
            } catch (dev.halibut.polling.PollingException e) {
                return false;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void takersWhoseExecutorRefusesWorkCompleteWithNull() throws Exception {
        java.util.concurrent.Executor stopped = task -> {
            throw new java.util.concurrent.RejectedExecutionException("the listener's workers are shutting down");
        };
        List<CompletableFuture<CollectedRequest>> refused = new ArrayList<>();
        for (int s = 0; s < 20; s++) {
            refused.add(nodeB.takeAsync(sub(s), TP, stopped));
        }
        assertThat(refused).allSatisfy(f -> assertThat(f).isCompletedWithValue(null));
        // The node still serves takers whose executor runs their looks.
        PendingCall call = nodeA.enqueue(SUB, TP, "served", msg("x"), LONG);
        answer(get(takeAsync(nodeB, SUB, TP)), "served", call, "ok");
    }

    @Test
    void closeCompletesWaitingTakersWithNullEndsTheThreadAndLaterTakersGetNullAtOnce() throws Exception {
        RedisPendingRequestQueue node = node();
        String prefix = "halibut-redis-" + node.nodeId();
        CompletableFuture<CollectedRequest> waiting = takeAsync(node, SUB, TP);
        awaitRegistered(node, SUB);
        node.close();
        assertThat(waiting).isCompletedWithValue(null);
        assertThat(threadsNamed(prefix)).isEmpty();
        assertThat(takeAsync(node, SUB, TP)).isCompletedWithValue(null);
        // The queue stays usable for the other nodes: nothing of the closed one's takers is left to take a request.
        PendingCall call = nodeA.enqueue(SUB, TP, "after-close", msg("x"), LONG);
        CollectedRequest taken = get(takeAsync(nodeB, SUB, TP));
        answer(taken, "after-close", call, "ok");
    }
}
