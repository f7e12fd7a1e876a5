package dev.halibut.wire.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.DataStream;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.IncomingRequest.ArgumentBindingException;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;
import dev.halibut.wire.StreamHeader;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the message codec with decompressed envelopes (docs/protocol.md, section 4), as a service host
 * decodes a request and a caller decodes a response, then binds every argument and result to each type
 * of {@link FuzzContract}. Contract: decoding returns or throws {@link ProtocolException}; binding
 * arguments returns or throws {@link ArgumentBindingException} (answered as {@code bad-request}); binding
 * a result returns or throws an {@link IOException}. What is accepted respects the envelope's limits
 * (id length, stream count, distinct stream ids). No step allocates more than a fixed multiple of the
 * document's size: no length, count or number in the data may size an allocation by itself.
 */
class MessageCodecFuzzTest {

    /** Tree nodes, strings and bound values cost more than their compact BSON; this is the headroom. */
    static final int EXPANSION = 64;

    private static final MessageCodec CODEC = new MessageCodec();
    private static final List<Type> TYPES = FuzzContract.types();

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void decodeRequest(byte[] bson) {
        long bound = bound(bson);
        Decoding.Outcome<IncomingRequest> o = Decoding.bounded("decoding a request", bound,
                () -> CODEC.decodeRequest(bson), ProtocolException.class);
        if (!o.accepted()) {
            return;
        }
        IncomingRequest r = o.value();
        assertThat(r.id()).isNotNull().hasSizeLessThanOrEqualTo(MessageCodec.MAX_ID_LENGTH);
        assertThat(r.service()).isNotNull();
        assertThat(r.method()).isNotNull();
        if (!r.parameterTypeNames().isEmpty()) {
            assertThat(r.parameterTypeNames()).hasSize(r.argumentCount());
        }
        Map<UUID, DataStream> received = received(r.streams());

        for (Type type : TYPES) {
            Type[] declared = new Type[r.argumentCount()];
            Arrays.fill(declared, type);
            Decoding.bounded("binding the arguments as " + type.getTypeName(), bound,
                    () -> r.bindArguments(declared, received), ArgumentBindingException.class);
        }
        Type[] oneTooMany = new Type[r.argumentCount() + 1];
        Arrays.fill(oneTooMany, Object.class);
        assertThat(Decoding.attempt(() -> r.bindArguments(oneTooMany, received), ArgumentBindingException.class)
                .accepted()).as("binding to a method with another parameter count").isFalse();
    }

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void decodeResponse(byte[] bson) throws IOException {
        long bound = bound(bson);
        Decoding.Outcome<IncomingResponse> o = Decoding.bounded("decoding a response", bound,
                () -> CODEC.decodeResponse(bson), ProtocolException.class);
        if (!o.accepted()) {
            return;
        }
        IncomingResponse r = o.value();
        assertThat(r.id()).isNotNull().hasSizeLessThanOrEqualTo(MessageCodec.MAX_ID_LENGTH);
        Map<UUID, DataStream> received = received(r.streams());
        if (r.error() != null) {
            assertThat(r.error().kind()).isNotNull();
            assertThat(r.error().message()).isNotNull();
            return;
        }
        for (Type type : TYPES) {
            Decoding.bounded("binding the result as " + type.getTypeName(), bound,
                    () -> r.bindResult(type, received), IOException.class);
        }
        assertThat(r.bindResult(void.class, received)).isNull();
    }

    private static long bound(byte[] bson) {
        return (long) EXPANSION * bson.length + Decoding.OVERHEAD;
    }

    /** Checks an accepted stream list and stands in for the bodies that would follow the message. */
    private static Map<UUID, DataStream> received(List<StreamHeader> headers) {
        assertThat(headers).hasSizeLessThanOrEqualTo(MessageCodec.MAX_STREAMS);
        assertThat(new HashSet<>(headers.stream().map(StreamHeader::id).toList())).hasSameSizeAs(headers);
        Map<UUID, DataStream> received = new LinkedHashMap<>();
        for (StreamHeader h : headers) {
            assertThat(h.length()).isNotNegative();
            received.put(h.id(), DataStream.received(h.id(), h.length(), InputStream::nullInputStream));
        }
        return received;
    }
}
