package dev.halibut.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingCall;
import dev.halibut.polling.PollingException;
import dev.halibut.polling.PollingException.Reason;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A Redis that requires a password: from the URI, from the settings, and a wrong one. */
class RedisAuthTest {

    @RegisterExtension
    static final RedisServer redis = RedisServer.forTestClass("--requirepass", "s3cret");

    private static void roundTrip(RedisPendingRequestQueue caller, RedisPendingRequestQueue taker) throws Exception {
        PendingCall call = caller.enqueue(RedisPendingRequestQueueTest.SUB, RedisPendingRequestQueueTest.TP, "auth-" + System.nanoTime(),
                RedisPendingRequestQueueTest.msg("x"), Duration.ofSeconds(30));
        CollectedRequest taken = taker.take(RedisPendingRequestQueueTest.SUB, RedisPendingRequestQueueTest.TP, Duration.ofSeconds(30));
        assertThat(taken).isNotNull();
        assertThat(taken.sending()).isTrue();
        taken.complete(RedisPendingRequestQueueTest.reply("authenticated"));
        assertThat(RedisPendingRequestQueueTest.text(call.awaitResponse(Duration.ofSeconds(30)).bson())).isEqualTo("authenticated");
    }

    @Test
    void thePasswordComesFromTheUriOrTheSettings() throws Exception {
        try (RedisPendingRequestQueue fromUri = RedisPendingRequestQueue.connect(
                     URI.create("redis://:s3cret@127.0.0.1:" + redis.port()), RedisPendingRequestQueueTest.FAST);
             RedisPendingRequestQueue fromSettings = RedisPendingRequestQueue.connect(redis.uri(),
                     RedisPendingRequestQueueTest.FAST.withPassword("s3cret"))) {
            roundTrip(fromUri, fromSettings);
            roundTrip(fromSettings, fromUri);
        }
    }

    @Test
    void aWrongPasswordFailsCallsNamingRedisAndNeverShowsThePassword() {
        try (RedisPendingRequestQueue wrong = RedisPendingRequestQueue.connect(
                URI.create("redis://:wrong-one@127.0.0.1:" + redis.port()), RedisPendingRequestQueueTest.FAST)) {
            PollingException e = RedisPendingRequestQueueTest.failure(wrong.enqueue(RedisPendingRequestQueueTest.SUB,
                    RedisPendingRequestQueueTest.TP, "denied", RedisPendingRequestQueueTest.msg("x"), Duration.ofSeconds(30)),
                    Duration.ofSeconds(30));
            assertThat(e.reason()).isEqualTo(Reason.QUEUE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("Redis at 127.0.0.1:" + redis.port()).doesNotContain("wrong-one");
            assertThat(wrong.toString()).doesNotContain("wrong-one");
        }
    }
}
