package dev.halibut.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.jsontype.PolymorphicTypeValidator;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.halibut.DataStream;
import dev.halibut.EncodedMessage;
import java.io.IOException;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Encodes request and response envelopes as BSON (docs/protocol.md, section 4) and binds values to
 * declared Java types. Thread-safe; compression is separate ({@link Compressor}, one per connection).
 *
 * <p>Safety: values are only ever bound to types the caller names from its contract. Polymorphic
 * typing chosen by class names in the data is refused, even where a user type asks for it with
 * {@code @JsonTypeInfo(use = CLASS)}, so no message can make this codec instantiate an arbitrary class.
 * {@code Object}-typed values bind to plain maps, lists, strings, numbers and booleans. A contract type of
 * {@code java.lang.Class} (anywhere in a parameter or result) is refused as well: Jackson would load, and
 * initialise, whatever class the data names.
 */
public final class MessageCodec {

    /** Deepest nesting of documents and arrays accepted in one message. */
    public static final int MAX_NESTING_DEPTH = 256;
    /** Longest request id accepted. */
    public static final int MAX_ID_LENGTH = 128;
    /** Most streams one message may carry. */
    public static final int MAX_STREAMS = 256;

    private final ObjectMapper mapper;
    private final DocumentGenerator.Factory factory = new DocumentGenerator.Factory();
    /**
     * Readers and writers by declared type. Making one per value (Jackson looks up and checks the root
     * (de)serializer each time) was about a fifth of encoding a small request; bounded, as Jackson bounds its own
     * caches, so types of a contract that is gone are let go. Not Jackson's {@code LRUMap}: its bookkeeping of
     * recency on every read was 7% of a small call's encoding and decoding, and a contract's types are few.
     */
    private final TypeCache<ObjectReader> readers = new TypeCache<>();
    private final TypeCache<ObjectWriter> writers = new TypeCache<>();
    /**
     * Readers for values that come without streams (most do), made once with the empty map of streams: a reader with
     * a per-call attribute is a new reader, a new configuration and a new attribute map for every value.
     */
    private final TypeCache<ObjectReader> readersWithoutStreams = new TypeCache<>();

    public MessageCodec() {
        mapper = new ObjectMapper(factory);
        mapper.registerModule(new Jdk8Module());
        mapper.registerModule(new JavaTimeModule());
        mapper.registerModule(new DataStreamModule());
        mapper.registerModule(new RefusedTypesModule());
        mapper.registerModule(new StrictScalarsModule());
        mapper.registerModule(new StrictTimeModule());
        // The same types as ContractTypes resolves contracts with (Jdk8Module added its modifier to our copy).
        mapper.setTypeFactory(ContractTypes.typeFactory());
        mapper.registerModule(new VersionModule());
        mapper.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        // A Duration as an ISO-8601 string ("PT8H0.5S"), not a double of seconds that loses nanoseconds.
        mapper.disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
        // An OffsetDateTime or ZonedDateTime keeps the offset it was sent with instead of being moved to UTC.
        mapper.disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE);
        refuseLossyCoercions(mapper);
        // The BSON generator buffers the whole document; flushing per value would be wasted work.
        mapper.disable(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
        mapper.deactivateDefaultTyping();
        mapper.setPolymorphicTypeValidator(new NoTypeIds());
    }

    /**
     * Values bind only from the BSON values that represent them exactly (docs/protocol.md, section 4). The
     * scalar types are bound by {@link StrictScalarsModule} and java.time by {@link StrictTimeModule}; these
     * settings make the deserializers still Jackson's own (enums, {@code Number}, {@code BigDecimal},
     * {@code OptionalInt} and the like) refuse what they would otherwise convert: 8.5 or "8" for an integer,
     * 1 for a boolean, a number for a string, an ordinal for an enum, null for a primitive.
     */
    @SuppressWarnings("deprecation")
    private static void refuseLossyCoercions(ObjectMapper mapper) {
        mapper.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        mapper.enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
        mapper.disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
        for (LogicalType numeric : List.of(LogicalType.Integer, LogicalType.Float)) {
            mapper.coercionConfigFor(numeric)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Enum).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        // The BSON generator itself writes a BigInteger beyond int64 as its decimal string: read it back exactly.
        mapper.coercionConfigFor(BigInteger.class).setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
        mapper.coercionConfigFor(BigDecimal.class).setCoercion(CoercionInputShape.String, CoercionAction.TryConvert);
    }

    /**
     * Encodes a request; each argument is written as its given parameter type, and {@code paramTypes} names
     * the erasure of each type. Use {@link #encodeRequest(String, String, String, List, Type[], Object[])}
     * when the types are resolved ones ({@link ContractTypes}) and the names must be those of the declaration.
     */
    public EncodedMessage encodeRequest(String id, String service, String method, Type[] parameterTypes,
                                        Object[] arguments) throws IOException {
        List<String> names = new ArrayList<>(parameterTypes.length);
        for (Type t : parameterTypes) {
            names.add(ContractTypes.rawClass(t).getTypeName());
        }
        return encodeRequest(id, service, method, names, parameterTypes, arguments);
    }

    /**
     * Encodes a request; each argument is written as its declared parameter type, and {@code paramTypes}
     * carries {@code parameterTypeNames} (see {@link ContractTypes#parameterTypeNames}). The streams found in
     * the arguments are listed in the envelope and returned, to be sent after it.
     */
    public EncodedMessage encodeRequest(String id, String service, String method, List<String> parameterTypeNames,
                                        Type[] parameterTypes, Object[] arguments) throws IOException {
        if (parameterTypeNames.size() != parameterTypes.length) {
            throw new IllegalArgumentException(parameterTypeNames.size() + " type names for " + parameterTypes.length
                    + " parameters");
        }
        byte[] plain = PlainEnvelopeWriter.request(id, service, method, parameterTypeNames, parameterTypes, arguments);
        if (plain != null) {
            return EncodedMessage.withoutStreams(plain);
        }
        return encodeRequestGenerated(id, service, method, parameterTypeNames, parameterTypes, arguments);
    }

    /**
     * {@link #encodeRequest} through Jackson's generator: for what {@link PlainEnvelopeWriter} leaves to it, and the
     * bytes that writer is held to (PlainEnvelopeWriterTest).
     */
    EncodedMessage encodeRequestGenerated(String id, String service, String method, List<String> parameterTypeNames,
                                          Type[] parameterTypes, Object[] arguments) throws IOException {
        List<DataStream> streams = new ArrayList<>();
        byte[] bson = generate(g -> {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeStringField("service", service);
            g.writeStringField("method", method);
            g.writeArrayFieldStart("paramTypes");
            for (String name : parameterTypeNames) {
                g.writeString(name);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("params");
            for (int i = 0; i < parameterTypes.length; i++) {
                writeValue(g, parameterTypes[i], arguments == null ? null : arguments[i], streams);
            }
            g.writeEndArray();
            writeStreams(g, streams);
            g.writeEndObject();
        });
        return new EncodedMessage(bson, streams);
    }

    /**
     * Encodes a successful response; the result is written as the method's declared return type. Streams
     * in the result are listed in the envelope and returned, to be sent after it.
     */
    public EncodedMessage encodeResponse(String id, Type resultType, Object result) throws IOException {
        byte[] plain = PlainEnvelopeWriter.response(id, resultType, result);
        if (plain != null) {
            return EncodedMessage.withoutStreams(plain);
        }
        return encodeResponseGenerated(id, resultType, result);
    }

    /** {@link #encodeResponse} through Jackson's generator; see {@link #encodeRequestGenerated}. */
    EncodedMessage encodeResponseGenerated(String id, Type resultType, Object result) throws IOException {
        List<DataStream> streams = new ArrayList<>();
        byte[] bson = generate(g -> {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeFieldName("result");
            writeValue(g, resultType, result, streams);
            writeStreams(g, streams);
            g.writeEndObject();
        });
        return new EncodedMessage(bson, streams);
    }

    /** Encodes an error response (errors carry no streams). */
    public byte[] encodeError(String id, RemoteError error) throws IOException {
        return generate(g -> {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeObjectFieldStart("error");
            g.writeStringField("kind", error.kind().wireName());
            g.writeStringField("message", error.message());
            if (error.type() != null) {
                g.writeStringField("type", error.type());
            }
            if (error.details() != null) {
                g.writeStringField("details", error.details());
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** Writes one BSON document with {@link #generate}. */
    private interface DocumentWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /**
     * One BSON document as bytes, copied once out of the generator's buffer ({@link DocumentGenerator}). Nothing here
     * looks at the thread's interrupt flag: a service that restored the flag before returning, or a caller being
     * cancelled, still gets its message encoded, and the flag stays set for whoever decides about the interrupt.
     */
    private byte[] generate(DocumentWriter body) throws IOException {
        DocumentGenerator g = factory.documentGenerator();
        try (g) {
            body.write(g);
        }
        return g.document();
    }

    /** Decodes a request envelope; its arguments stay unbound until the method is known. */
    public IncomingRequest decodeRequest(byte[] bson) throws ProtocolException {
        checkLengths(bson);
        BsonEnvelope plain = BsonEnvelope.scan(bson);
        return plain != null ? plain.request(this) : decodeRequestTree(bson);
    }

    /**
     * {@link #decodeRequest} through a tree of the whole envelope: for what {@link BsonEnvelope} leaves to it, and
     * the reference its reading is held to (BsonEnvelopeTest). The lengths must have been checked.
     */
    IncomingRequest decodeRequestTree(byte[] bson) throws ProtocolException {
        JsonNode doc = readDocument(bson, "request");
        String id = requiredId(doc, "request");
        String service = requiredText(doc, "service", "request");
        String method = requiredText(doc, "method", "request");
        List<JsonNode> params = new ArrayList<>();
        JsonNode p = doc.get("params");
        if (p != null && !p.isNull()) {
            if (!p.isArray()) {
                throw new ProtocolException("Request " + id + ": 'params' is not an array");
            }
            p.forEach(params::add);
        }
        List<String> typeNames = new ArrayList<>();
        JsonNode t = doc.get("paramTypes");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                throw new ProtocolException("Request " + id + ": 'paramTypes' is not an array");
            }
            for (JsonNode n : t) {
                if (!n.isTextual()) {
                    throw new ProtocolException("Request " + id + ": 'paramTypes' holds a non-string");
                }
                typeNames.add(n.textValue());
            }
            if (!typeNames.isEmpty() && typeNames.size() != params.size()) {
                throw new ProtocolException("Request " + id + ": " + typeNames.size() + " paramTypes for "
                        + params.size() + " params");
            }
        }
        return new IncomingRequest(this, id, service, method, typeNames, params, streamHeaders(doc, id));
    }

    /** Decodes a response envelope; a result stays unbound until the caller names its type. */
    public IncomingResponse decodeResponse(byte[] bson) throws ProtocolException {
        checkLengths(bson);
        BsonEnvelope plain = BsonEnvelope.scan(bson);
        return plain != null ? plain.response(this) : decodeResponseTree(bson);
    }

    /** {@link #decodeResponse} through a tree of the whole envelope; see {@link #decodeRequestTree}. */
    IncomingResponse decodeResponseTree(byte[] bson) throws ProtocolException {
        JsonNode doc = readDocument(bson, "response");
        String id = requiredId(doc, "response");
        JsonNode error = doc.get("error");
        if (error != null && !error.isNull()) {
            if (!error.isObject()) {
                throw new ProtocolException("Response " + id + ": 'error' is not a document");
            }
            RemoteError e = new RemoteError(ErrorKind.ofWireName(text(error, "kind")), text(error, "message"),
                    text(error, "type"), text(error, "details"));
            return new IncomingResponse(this, id, null, e, streamHeaders(doc, id));
        }
        JsonNode result = doc.get("result");
        return new IncomingResponse(this, id, result == null ? NullNode.getInstance() : result, null,
                streamHeaders(doc, id));
    }

    /**
     * Binds a value to its declared type. BSON null goes through the type's deserializer too, so it binds to
     * {@code Optional.empty()} for an {@code Optional} and is refused for a primitive.
     */
    Object bind(JsonNode node, Type declaredType, Map<UUID, DataStream> streams) throws IOException {
        JsonNode value = node == null || node.isMissingNode() ? NullNode.getInstance() : node;
        try {
            return reader(declaredType, streams).readValue(value);
        } catch (JsonMappingException e) {
            // Jackson's message ends in a parser location, meaningless for a tree; say where in the value instead.
            throw new IOException(e.getOriginalMessage() + where(e), e);
        } catch (RuntimeException e) {
            // Some deserializers (java.time's, for a number out of range or a binary value) throw unchecked
            // exceptions for data that does not fit the type; that is still data that does not fit the type.
            throw new IOException(e.toString(), e);
        }
    }

    /** Where in a value a binding failed, as {@code " (at lines[2].count)"}; empty at the top. */
    private static String where(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? "" : " (at " + path + ")";
    }

    private void writeValue(JsonGenerator g, Type declaredType, Object value, List<DataStream> streams)
            throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (holdsNoStreams(declaredType)) {
            writerFor(declaredType).writeValue(g, value);
        } else {
            writerFor(declaredType).withAttribute(DataStreamModule.OUTGOING, streams).writeValue(g, value);
        }
    }

    /**
     * Whether a value of {@code declaredType} can never be or hold a {@link DataStream}: a primitive, its box or a
     * string (final classes, written as scalars). Such a value is written without the attribute that collects
     * streams, which costs a new writer and a new configuration per value.
     */
    private static boolean holdsNoStreams(Type declaredType) {
        // Contract types come resolved, as JavaTypes; these classes have no type parameters.
        Class<?> c = declaredType instanceof Class<?> k ? k : declaredType instanceof JavaType j ? j.getRawClass() : null;
        return c != null && (c.isPrimitive() || c == String.class || c == Integer.class || c == Long.class
                || c == Boolean.class || c == Double.class || c == Float.class || c == Short.class || c == Byte.class
                || c == Character.class);
    }

    private ObjectReader reader(Type declaredType, Map<UUID, DataStream> streams) {
        return streams.isEmpty() ? readerWithoutStreams(declaredType)
                : readerFor(declaredType).withAttribute(DataStreamModule.INCOMING, streams);
    }

    private ObjectReader readerFor(Type declaredType) {
        return cached(readers, declaredType, mapper::readerFor);
    }

    private ObjectReader readerWithoutStreams(Type declaredType) {
        return cached(readersWithoutStreams, declaredType,
                t -> mapper.readerFor(t).withAttribute(DataStreamModule.INCOMING, Map.of()));
    }

    private ObjectWriter writerFor(Type declaredType) {
        return cached(writers, declaredType, mapper::writerFor);
    }

    /** The cached reader or writer for {@code declaredType}, made and kept on first use. */
    private <T> T cached(TypeCache<T> cache, Type declaredType, java.util.function.Function<JavaType, T> make) {
        T value = cache.get(declaredType);
        if (value == null) {
            value = make.apply(mapper.constructType(declaredType));
            cache.put(declaredType, value);
        }
        return value;
    }

    /**
     * At most {@link #MAX} entries by type, read without locking. When full it starts over (empty): readers and
     * writers are made again on the next use, as after a restart, instead of tracking which was used last.
     */
    private static final class TypeCache<T> {
        private static final int MAX = 512;
        private final java.util.concurrent.ConcurrentHashMap<Type, T> map = new java.util.concurrent.ConcurrentHashMap<>();

        T get(Type type) {
            return map.get(type);
        }

        void put(Type type, T value) {
            if (map.size() >= MAX) {
                map.clear();
            }
            map.put(type, value);
        }
    }

    private static void writeStreams(JsonGenerator g, List<DataStream> streams) throws IOException {
        if (streams.size() > MAX_STREAMS) {
            throw new IOException("A message may carry at most " + MAX_STREAMS + " streams, not " + streams.size());
        }
        if (streams.isEmpty()) {
            return;
        }
        g.writeArrayFieldStart("streams");
        for (DataStream s : streams) {
            g.writeStartObject();
            g.writeStringField("id", s.id().toString());
            g.writeNumberField("length", s.length());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static List<StreamHeader> streamHeaders(JsonNode doc, String id) throws ProtocolException {
        JsonNode list = doc.get("streams");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray() || list.size() > MAX_STREAMS) {
            throw new ProtocolException("Message " + id + ": 'streams' must be an array of at most " + MAX_STREAMS + " entries");
        }
        List<StreamHeader> headers = new ArrayList<>();
        Set<UUID> seen = new HashSet<>();
        for (JsonNode n : list) {
            JsonNode sid = n.get("id");
            JsonNode len = n.get("length");
            if (sid == null || !sid.isTextual() || len == null || !len.canConvertToLong() || len.asLong() < 0) {
                throw new ProtocolException("Message " + id + ": a stream entry needs an 'id' string and a non-negative 'length'");
            }
            UUID uuid;
            try {
                uuid = UUID.fromString(sid.textValue());
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("Message " + id + ": stream id '" + sid.textValue() + "' is not a UUID", e);
            }
            if (!seen.add(uuid)) {
                throw new ProtocolException("Message " + id + ": stream " + uuid + " is listed twice");
            }
            headers.add(new StreamHeader(uuid, len.asLong()));
        }
        return headers;
    }

    /** {@link BsonLengths#check}, first of all, on every message. */
    private static void checkLengths(byte[] bson) throws ProtocolException {
        BsonLengths.check(bson, MAX_NESTING_DEPTH);
    }

    /** The whole document as a tree; its lengths have been checked. */
    private JsonNode readDocument(byte[] bson, String what) throws ProtocolException {
        try (JsonParser parser = new DepthLimitedParser(mapper.getFactory().createParser(bson))) {
            JsonNode doc = mapper.readTree(parser);
            if (doc == null || !doc.isObject()) {
                throw new ProtocolException("The " + what + " is not a BSON document");
            }
            return doc;
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException("The " + what + " is not valid BSON: " + e.getMessage(), e);
        }
    }

    private static String requiredId(JsonNode doc, String what) throws ProtocolException {
        String id = requiredText(doc, "id", what);
        if (id.length() > MAX_ID_LENGTH) {
            throw new ProtocolException("The " + what + " id is longer than " + MAX_ID_LENGTH + " characters");
        }
        return id;
    }

    private static String requiredText(JsonNode doc, String field, String what) throws ProtocolException {
        JsonNode n = doc.get(field);
        if (n == null || !n.isTextual()) {
            throw new ProtocolException("The " + what + " has no '" + field + "' string");
        }
        return n.textValue();
    }

    private static String text(JsonNode doc, String field) {
        JsonNode n = doc.get(field);
        return n != null && n.isTextual() ? n.textValue() : null;
    }

    /**
     * Denies every class-name type id ({@code @JsonTypeInfo(use = CLASS or MINIMAL_CLASS)}, on a type or a
     * property) by name, before the named class is even loaded. Jackson's
     * {@code BasicPolymorphicTypeValidator} with nothing allowed answers "undecided" for names, and Jackson
     * then loads and initialises the named class (running its static initialiser) before it denies the
     * subtype. Name-based typing ({@code Id.NAME} with declared subtypes) does not consult this and still works.
     */
    private static final class NoTypeIds extends PolymorphicTypeValidator.Base {
        private static final long serialVersionUID = 1L;

        @Override
        public Validity validateBaseType(MapperConfig<?> config, JavaType baseType) {
            // Undecided, so a contract type that merely has such a property still binds when no type id comes.
            return Validity.INDETERMINATE;
        }

        @Override
        public Validity validateSubClassName(MapperConfig<?> config, JavaType baseType, String subClassName) {
            return Validity.DENIED;
        }

        @Override
        public Validity validateSubType(MapperConfig<?> config, JavaType baseType, JavaType subType) {
            return Validity.DENIED;
        }
    }

    /** Refuses documents nested deeper than {@link #MAX_NESTING_DEPTH}, before building them. */
    private static final class DepthLimitedParser extends JsonParserDelegate {
        private int depth;

        DepthLimitedParser(JsonParser d) {
            super(d);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken t = super.nextToken();
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                if (++depth > MAX_NESTING_DEPTH) {
                    throw new ProtocolException("Message nests deeper than " + MAX_NESTING_DEPTH + " levels");
                }
            } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                depth--;
            }
            return t;
        }
    }
}
