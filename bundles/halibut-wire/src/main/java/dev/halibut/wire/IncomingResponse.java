package dev.halibut.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import dev.halibut.DataStream;
import dev.halibut.ReceivedMessage;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A decoded response: either an error, or a result still to be bound to the caller's declared type. It travels
 * with the response's bytes through an in-process queue ({@link ReceivedMessage#decoded()}), so a polled
 * response is decoded once.
 */
public final class IncomingResponse implements ReceivedMessage.Decoded {

    private final MessageCodec codec;
    private final String id;
    private final JsonNode result;
    private final RemoteError error;
    private final List<StreamHeader> streams;

    IncomingResponse(MessageCodec codec, String id, JsonNode result, RemoteError error, List<StreamHeader> streams) {
        this.codec = codec;
        this.id = id;
        this.result = result;
        this.error = error;
        this.streams = List.copyOf(streams);
    }

    /** The streams whose bodies follow this response on the wire, in order. */
    public List<StreamHeader> streams() {
        return streams;
    }

    public String id() {
        return id;
    }

    /** The error, or {@code null} when the call succeeded. */
    public RemoteError error() {
        return error;
    }

    /** Binds a result that carries no streams ({@code void} gives {@code null}). */
    public Object bindResult(Type declaredType) throws IOException {
        return bindResult(declaredType, Map.of());
    }

    /** Binds the result to the caller's declared return type; stream references resolve to {@code received}. */
    public Object bindResult(Type declaredType, Map<UUID, DataStream> received) throws IOException {
        if (declaredType == void.class || declaredType == Void.class) {
            return null;
        }
        return codec.bind(result, declaredType, received);
    }
}
