package dev.halibut.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Type;
import dev.halibut.DataStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A decoded request whose arguments are not yet bound: the receiver first finds the method by
 * {@link #service()}, {@link #method()} and {@link #argumentCount()}, then binds the arguments to that
 * method's declared parameter types with {@link #bindArguments(Type[])}.
 */
public final class IncomingRequest {

    private final MessageCodec codec;
    private final String id;
    private final String service;
    private final String method;
    private final List<String> parameterTypeNames;
    private final List<JsonNode> arguments;
    private final List<StreamHeader> streams;

    IncomingRequest(MessageCodec codec, String id, String service, String method,
                    List<String> parameterTypeNames, List<JsonNode> arguments, List<StreamHeader> streams) {
        this.codec = codec;
        this.id = id;
        this.service = service;
        this.method = method;
        this.parameterTypeNames = List.copyOf(parameterTypeNames);
        this.arguments = List.copyOf(arguments);
        this.streams = List.copyOf(streams);
    }

    /** The streams whose bodies follow this request on the wire, in order. */
    public List<StreamHeader> streams() {
        return streams;
    }

    public String id() {
        return id;
    }

    public String service() {
        return service;
    }

    public String method() {
        return method;
    }

    public int argumentCount() {
        return arguments.size();
    }

    /** The caller's declared parameter type names (may be empty if the caller sent none). */
    public List<String> parameterTypeNames() {
        return parameterTypeNames;
    }

    /** Binds arguments that carry no streams. */
    public Object[] bindArguments(Type[] declaredTypes) throws ArgumentBindingException {
        return bindArguments(declaredTypes, Map.of());
    }

    /**
     * Binds the arguments to the given declared types; stream references resolve to {@code received}.
     *
     * @throws ArgumentBindingException an argument does not fit its declared type
     */
    public Object[] bindArguments(Type[] declaredTypes, Map<UUID, DataStream> received) throws ArgumentBindingException {
        if (declaredTypes.length != arguments.size()) {
            throw new ArgumentBindingException("Expected " + declaredTypes.length + " arguments but the request has "
                    + arguments.size());
        }
        Object[] values = new Object[declaredTypes.length];
        for (int i = 0; i < values.length; i++) {
            try {
                values[i] = codec.bind(arguments.get(i), declaredTypes[i], received);
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new ArgumentBindingException(i, "Argument " + i + " cannot be read as "
                        + ContractTypes.typeName(declaredTypes[i]) + ": " + e.getMessage(), e);
            }
        }
        return values;
    }

    @Override
    public String toString() {
        return service + "." + method + " (request " + id + ")";
    }

    /** An argument that does not fit its declared parameter type. */
    public static final class ArgumentBindingException extends Exception {
        private static final long serialVersionUID = 1L;

        private final int argument;

        public ArgumentBindingException(String message) {
            super(message);
            this.argument = -1;
        }

        public ArgumentBindingException(String message, Throwable cause) {
            this(-1, message, cause);
        }

        public ArgumentBindingException(int argument, String message, Throwable cause) {
            super(message, cause);
            this.argument = argument;
        }

        /** The index of the argument that does not fit, or -1 when the failure is not about one argument. */
        public int argument() {
            return argument;
        }
    }
}
