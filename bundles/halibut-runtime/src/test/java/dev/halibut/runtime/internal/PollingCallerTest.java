package dev.halibut.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.InMemoryPendingRequestQueue;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import dev.halibut.ReceivedMessage;
import dev.halibut.runtime.it.OwnThread;
import java.lang.reflect.Type;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A polled response is decoded once: the listener's subscriber connection decodes the envelope to find its
 * streams, and the caller takes that decoded envelope from the queue instead of decoding the bytes again. A
 * response that comes only as bytes (a shared queue carries it from another node) is decoded by the caller.
 */
class PollingCallerTest {

    private static final URI SUBSCRIPTION = URI.create("poll://agent/");
    private static final String THUMBPRINT = "A".repeat(40);
    private static final Duration LONG = Duration.ofSeconds(30);

    private final MessageCodec codec = new MessageCodec();
    private final InMemoryPendingRequestQueue queue = new InMemoryPendingRequestQueue();
    private final PollingCaller caller = new PollingCaller(codec,
            new ObservedQueue(queue, new Telemetry(List.of(), 10, 10)), HalibutLimits.defaults());
    private final ServiceEndPoint endpoint = new ServiceEndPoint(SUBSCRIPTION, THUMBPRINT);

    @AfterEach
    void close() {
        queue.close();
    }

    private CompletableFuture<Reply> call(String id) throws Exception {
        var request = codec.encodeRequest(id, "Echo", "echo", new Type[0], new Object[0]);
        return CompletableFuture.supplyAsync(() -> caller.call(endpoint, id, request, new CallTrace("Echo", "echo",
                "Echo.echo on " + SUBSCRIPTION)), OwnThread.EACH);
    }

    private CollectedRequest collect() throws InterruptedException {
        CollectedRequest taken = queue.take(SUBSCRIPTION, THUMBPRINT, LONG);
        assertThat(taken).isNotNull();
        assertThat(taken.sending()).isTrue();
        return taken;
    }

    @Test
    void theCallerTakesTheEnvelopeTheSubscriberConnectionDecodedAndDoesNotDecodeTheBytesAgain() throws Exception {
        CompletableFuture<Reply> reply = call("r1");
        CollectedRequest taken = collect();
        IncomingResponse decoded = codec.decodeResponse(codec.encodeResponse("r1", String.class, "decoded once").bson());
        // Bytes that are not BSON at all: decoding them again would fail the call as a malformed response.
        taken.complete(new ReceivedMessage(new byte[] {1, 2, 3}, Map.of(), decoded));
        Reply r = reply.get(30, TimeUnit.SECONDS);
        assertThat(r.response()).isSameAs(decoded);
        assertThat(r.response().bindResult(String.class)).isEqualTo("decoded once");
    }

    @Test
    void aResponseThatCameOnlyAsBytesIsDecodedByTheCaller() throws Exception {
        CompletableFuture<Reply> reply = call("r2");
        CollectedRequest taken = collect();
        taken.complete(new ReceivedMessage(codec.encodeResponse("r2", String.class, "from bytes").bson(), Map.of()));
        assertThat(reply.get(30, TimeUnit.SECONDS).response().bindResult(String.class)).isEqualTo("from bytes");
    }
}
