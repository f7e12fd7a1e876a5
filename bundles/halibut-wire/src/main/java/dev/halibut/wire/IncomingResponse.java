package dev.halibut.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.reflect.Type;

/** A decoded response: either an error, or a result still to be bound to the caller's declared type. */
public final class IncomingResponse {

    private final MessageCodec codec;
    private final String id;
    private final JsonNode result;
    private final RemoteError error;

    IncomingResponse(MessageCodec codec, String id, JsonNode result, RemoteError error) {
        this.codec = codec;
        this.id = id;
        this.result = result;
        this.error = error;
    }

    public String id() {
        return id;
    }

    /** The error, or {@code null} when the call succeeded. */
    public RemoteError error() {
        return error;
    }

    /** Binds the result to the caller's declared return type ({@code void} gives {@code null}). */
    public Object bindResult(Type declaredType) throws IOException {
        if (declaredType == void.class || declaredType == Void.class) {
            return null;
        }
        return codec.bind(result, declaredType);
    }
}
