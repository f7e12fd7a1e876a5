package dev.halibut.benchmarks;

import dev.halibut.polling.PendingCall;
import dev.halibut.queue.redis.RedisPendingRequestQueue;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.MessageCodec;
import java.lang.reflect.Type;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How many queued requests Redis holds per MiB of its memory: queues {@code n} (default 10,000) encoded
 * {@code add(1,2)} requests through a {@link RedisPendingRequestQueue} with nobody collecting them and reads
 * Redis's {@code used_memory} before and after. Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.halibut.benchmarks.RedisQueueMemory [n]}.
 */
public final class RedisQueueMemory {

    private RedisQueueMemory() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        URI subscription = URI.create("poll://bench/");
        String thumbprint = dev.halibut.Thumbprints.of(Identities.HOST.certificate());
        MessageCodec codec = new MessageCodec();
        try (RedisProcess redis = new RedisProcess();
             RedisPendingRequestQueue queue = RedisPendingRequestQueue.connect(redis.uri())) {
            long before = redis.usedMemory();
            List<PendingCall> calls = new ArrayList<>(n);
            int bytes = 0;
            for (int i = 0; i < n; i++) {
                String id = Long.toHexString(0x5eedL) + "-" + i;
                EncodedMessage request = codec.encodeRequest(id, "Adder", "add", new Type[] {int.class, int.class},
                        new Object[] {1, 2});
                bytes = request.bson().length;
                calls.add(queue.enqueue(subscription, thumbprint, id, request, Duration.ofMinutes(10)));
            }
            long after = redis.usedMemory();
            double perRequest = (after - before) / (double) n;
            System.out.printf("%d queued add(1,2) requests (%d-byte envelopes): Redis used_memory %d -> %d bytes,"
                    + " %.0f bytes per request, %.0f requests per MiB%n", n, bytes, before, after, perRequest,
                    1024 * 1024 / perRequest);
            System.out.println("queuedCount = " + queue.queuedCount(subscription));
            calls.forEach(PendingCall::cancel);
        }
    }
}
