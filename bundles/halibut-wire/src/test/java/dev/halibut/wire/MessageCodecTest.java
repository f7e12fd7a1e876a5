package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.undercouch.bson4jackson.BsonFactory;
import dev.halibut.EncodedMessage;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

    private final MessageCodec codec = new MessageCodec();
    private final ObjectMapper bson = new ObjectMapper(new BsonFactory());

    enum Colour { RED, GREEN }

    record Line(String name, List<Integer> values, Map<String, Double> weights) {
    }

    public static class Pojo {
        private String label;
        private long count;

        public String getLabel() {
            return label;
        }

        public void setLabel(String label) {
            this.label = label;
        }

        public long getCount() {
            return count;
        }

        public void setCount(long count) {
            this.count = count;
        }
    }

    /** The method whose declared types the tests bind against. */
    interface Contract {
        void everything(int i, long l, String s, boolean b, double d, byte[] bytes, Colour c, Line line, Pojo pojo,
                        List<Line> lines, Map<String, Integer> map, Optional<String> opt, Instant when, UUID id,
                        String nothing);

        List<Line> lines();
    }

    private static Method method(String name) {
        for (Method m : Contract.class.getMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void requestArgumentsRoundTripAsTheirDeclaredTypes() throws Exception {
        Method m = method("everything");
        Pojo pojo = new Pojo();
        pojo.setLabel("p");
        pojo.setCount(9);
        Line line = new Line("l", List.of(1, 2), Map.of("w", 0.5));
        Instant when = Instant.parse("2026-11-24T12:00:00.123456789Z");
        UUID id = UUID.randomUUID();
        Object[] args = {42, 1L << 40, "héllo", true, 2.5, new byte[] {1, 2}, Colour.GREEN, line, pojo,
                List.of(line, line), Map.of("a", 1), Optional.of("x"), when, id, null};
        IncomingRequest r = codec.decodeRequest(codec.encodeRequest("id-1", "Contract", "everything",
                m.getGenericParameterTypes(), args).bson());
        assertThat(r.id()).isEqualTo("id-1");
        assertThat(r.service()).isEqualTo("Contract");
        assertThat(r.method()).isEqualTo("everything");
        assertThat(r.parameterTypeNames()).startsWith("int", "long", "java.lang.String", "boolean", "double", "byte[]");
        Object[] bound = r.bindArguments(m.getGenericParameterTypes());
        assertThat(bound).hasSize(15);
        assertThat(bound[0]).isEqualTo(42);
        assertThat(bound[1]).isEqualTo(1L << 40);
        assertThat(bound[2]).isEqualTo("héllo");
        assertThat(bound[3]).isEqualTo(true);
        assertThat(bound[4]).isEqualTo(2.5);
        assertThat((byte[]) bound[5]).containsExactly(1, 2);
        assertThat(bound[6]).isEqualTo(Colour.GREEN);
        assertThat(bound[7]).isEqualTo(line);
        assertThat(((Pojo) bound[8]).getLabel()).isEqualTo("p");
        assertThat(((Pojo) bound[8]).getCount()).isEqualTo(9);
        assertThat(bound[9]).isEqualTo(List.of(line, line)); // elements are records, not maps
        assertThat(bound[10]).isEqualTo(Map.of("a", 1));
        assertThat(bound[11]).isEqualTo(Optional.of("x"));
        assertThat(bound[12]).isEqualTo(when);
        assertThat(bound[13]).isEqualTo(id);
        assertThat(bound[14]).isNull();
    }

    @Test
    void responsesRoundTrip() throws Exception {
        Type listOfLines = method("lines").getGenericReturnType();
        List<Line> lines = List.of(new Line("a", List.of(), Map.of()));
        IncomingResponse r = codec.decodeResponse(codec.encodeResponse("7", listOfLines, lines).bson());
        assertThat(r.id()).isEqualTo("7");
        assertThat(r.error()).isNull();
        assertThat(r.bindResult(listOfLines)).isEqualTo(lines);

        IncomingResponse v = codec.decodeResponse(codec.encodeResponse("8", void.class, null).bson());
        assertThat(v.bindResult(void.class)).isNull();

        RemoteError e = new RemoteError(ErrorKind.INVOCATION, "boom", "java.lang.IllegalStateException", "trace");
        assertThat(codec.decodeResponse(codec.encodeError("9", e)).error()).isEqualTo(e);
        RemoteError bare = new RemoteError(ErrorKind.SERVICE_NOT_FOUND, "no such service", null, null);
        assertThat(codec.decodeResponse(codec.encodeError("10", bare)).error()).isEqualTo(bare);
    }

    /**
     * A service that restores its thread's interrupt flag before returning (the Java idiom after catching
     * InterruptedException), or a caller being cancelled, still gets its message encoded; the flag stays set.
     */
    @Test
    void messagesAreEncodedOnAThreadWhoseInterruptFlagIsSetAndTheFlagStays() throws Exception {
        Type listOfLines = method("lines").getGenericReturnType();
        List<Line> lines = List.of(new Line("a", List.of(1), Map.of("w", 1.0)));
        RemoteError error = new RemoteError(ErrorKind.INVOCATION, "boom", null, null);
        byte[] request;
        byte[] response;
        byte[] errorResponse;
        Thread.currentThread().interrupt();
        try {
            request = codec.encodeRequest("1", "Contract", "lines", new Type[0], new Object[0]).bson();
            response = codec.encodeResponse("2", listOfLines, lines).bson();
            errorResponse = codec.encodeError("3", error);
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt flag after encoding").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(codec.decodeRequest(request).method()).isEqualTo("lines");
        assertThat(codec.decodeResponse(response).bindResult(listOfLines)).isEqualTo(lines);
        assertThat(codec.decodeResponse(errorResponse).error()).isEqualTo(error);
    }

    @Test
    void unknownFieldsAreIgnoredSoContractsCanGrow() throws Exception {
        ObjectNode doc = request("1", "S", "m");
        ObjectNode arg = doc.withArray("params").addObject();
        arg.put("name", "n").put("addedLater", true);
        arg.putArray("values").add(1);
        Object[] bound = codec.decodeRequest(bson.writeValueAsBytes(doc)).bindArguments(new Type[] {Line.class});
        assertThat(bound[0]).isEqualTo(new Line("n", List.of(1), null));
    }

    @Test
    void malformedRequestsAreProtocolErrors() throws Exception {
        assertThatThrownBy(() -> codec.decodeRequest(new byte[] {1, 2, 3})).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(Map.of("service", "S", "method", "m"))))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("'id'");
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(Map.of("id", "1", "method", "m"))))
                .hasMessageContaining("'service'");
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(request("x".repeat(129), "S", "m"))))
                .hasMessageContaining("longer than 128");
        ObjectNode notArray = request("1", "S", "m");
        notArray.put("params", "nope");
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(notArray))).hasMessageContaining("not an array");
        ObjectNode mismatch = request("1", "S", "m");
        mismatch.withArray("params").add(1);
        mismatch.putArray("paramTypes").add("int").add("int");
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(mismatch))).hasMessageContaining("2 paramTypes for 1 params");
    }

    @Test
    void nestingDeeperThanTheLimitIsRefused() throws Exception {
        ObjectNode doc = request("1", "S", "m");
        ArrayNode a = doc.withArray("params");
        for (int i = 0; i < MessageCodec.MAX_NESTING_DEPTH + 10; i++) {
            a = a.addArray();
        }
        byte[] deep = bson.writeValueAsBytes(doc);
        assertThatThrownBy(() -> codec.decodeRequest(deep)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("nests deeper");
    }

    @Test
    void argumentsThatDoNotFitTheirTypesAreReportedNotThrownRaw() throws Exception {
        ObjectNode doc = request("1", "S", "m");
        doc.withArray("params").addObject().put("name", "n").put("values", "not a list");
        IncomingRequest r = codec.decodeRequest(bson.writeValueAsBytes(doc));
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Line.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class).hasMessageContaining("Argument 0");
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Line.class, int.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class).hasMessageContaining("Expected 2");
    }

    /** Found by MessageCodecFuzzTest: java.time's deserializers throw unchecked exceptions for such data. */
    @Test
    void valuesThatDoNotFitJavaTimeTypesAreBindingErrorsNotRuntimeExceptions() throws Exception {
        ObjectNode doc = request("1", "S", "m");
        doc.withArray("params").add(1L << 40).add(new byte[] {1, 2});
        IncomingRequest r = codec.decodeRequest(bson.writeValueAsBytes(doc));
        assertThatThrownBy(() -> r.bindArguments(new Type[] {java.time.LocalDate.class, Instant.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class)
                .hasMessageContaining("Argument 0 cannot be read as java.time.LocalDate");
        // A number is no Instant either (only ISO-8601 strings are), and binary data is not.
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Instant.class, Instant.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class)
                .hasMessageContaining("Argument 0 cannot be read as java.time.Instant");
        assertThatThrownBy(() -> r.bindArguments(new Type[] {String.class, Instant.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class)
                .hasMessageContaining("Argument 0 cannot be read as java.lang.String");

        ObjectNode response = bson.createObjectNode().put("id", "2").put("result", new byte[] {1, 2});
        IncomingResponse binary = codec.decodeResponse(bson.writeValueAsBytes(response));
        assertThatThrownBy(() -> binary.bindResult(Instant.class)).isInstanceOf(IOException.class);
        response.put("result", 1L << 40);
        IncomingResponse outOfRange = codec.decodeResponse(bson.writeValueAsBytes(response));
        assertThatThrownBy(() -> outOfRange.bindResult(java.time.LocalDate.class)).isInstanceOf(IOException.class);
    }

    record Package(String name, dev.halibut.DataStream content, List<dev.halibut.DataStream> extras) {
    }

    @Test
    void streamsAreSentAsReferencesListedInTheEnvelope() throws Exception {
        dev.halibut.DataStream a = dev.halibut.DataStream.fromBytes(new byte[] {1, 2, 3});
        dev.halibut.DataStream b = dev.halibut.DataStream.fromBytes(new byte[10]);
        Package pkg = new Package("p", a, List.of(b, a));
        EncodedMessage m = codec.encodeRequest("1", "S", "m", new Type[] {Package.class, dev.halibut.DataStream.class},
                new Object[] {pkg, b});
        assertThat(m.streams()).containsExactly(a, b); // each stream once, in order of first appearance
        IncomingRequest r = codec.decodeRequest(m.bson());
        assertThat(r.streams()).containsExactly(new StreamHeader(a.id(), 3), new StreamHeader(b.id(), 10));
        dev.halibut.DataStream ra = dev.halibut.DataStream.received(a.id(), 3, () -> new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
        dev.halibut.DataStream rb = dev.halibut.DataStream.received(b.id(), 10, () -> new java.io.ByteArrayInputStream(new byte[10]));
        Object[] bound = r.bindArguments(new Type[] {Package.class, dev.halibut.DataStream.class}, Map.of(a.id(), ra, b.id(), rb));
        Package got = (Package) bound[0];
        assertThat(got.content()).isSameAs(ra);
        assertThat(got.extras()).containsExactly(rb, ra);
        assertThat(bound[1]).isSameAs(rb);
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Package.class, dev.halibut.DataStream.class}, Map.of()))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class).hasMessageContaining("was not sent with it");
    }

    @Test
    void malformedStreamListsAreProtocolErrors() throws Exception {
        ObjectNode dup = request("1", "S", "m");
        String id = UUID.randomUUID().toString();
        dup.putArray("streams").add(bson.createObjectNode().put("id", id).put("length", 1))
                .add(bson.createObjectNode().put("id", id).put("length", 1));
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(dup))).hasMessageContaining("listed twice");
        ObjectNode negative = request("1", "S", "m");
        negative.putArray("streams").add(bson.createObjectNode().put("id", id).put("length", -5));
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(negative))).hasMessageContaining("non-negative");
        ObjectNode many = request("1", "S", "m");
        ArrayNode list = many.putArray("streams");
        for (int i = 0; i <= MessageCodec.MAX_STREAMS; i++) {
            list.add(bson.createObjectNode().put("id", UUID.randomUUID().toString()).put("length", 1));
        }
        assertThatThrownBy(() -> codec.decodeRequest(bson.writeValueAsBytes(many))).hasMessageContaining("at most 256");
    }

    // --- deserialization safety: nothing on the wire chooses a class ---

    static final AtomicBoolean GADGET_CREATED = new AtomicBoolean();

    /** Stands in for a gadget class: instantiating it is the attack. */
    public static final class Gadget implements Base {
        public Gadget() {
            GADGET_CREATED.set(true);
        }
    }

    /** A user type that asks Jackson for class-name typing, the classic gadget entry point. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
    public interface Base {
    }

    @Test
    void classNamesInTheDataAreNeverInstantiated() throws Exception {
        GADGET_CREATED.set(false);
        ObjectNode doc = request("1", "S", "m");
        doc.withArray("params").addObject().put("@class", Gadget.class.getName());
        IncomingRequest r = codec.decodeRequest(bson.writeValueAsBytes(doc));
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Base.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class);
        assertThat(GADGET_CREATED).isFalse();
    }

    /** A class-name typed base whose named subtype records its static initialiser. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
    public interface Marked {
    }

    public static final class InitialisedByName implements Marked {
        static {
            INITIALISED_BY_NAME.set(true);
        }
    }

    static final AtomicBoolean INITIALISED_BY_NAME = new AtomicBoolean();

    @Test
    void classNameTypeIdsNeverLoadTheNamedClass() throws Exception {
        INITIALISED_BY_NAME.set(false);
        ObjectNode doc = request("1", "S", "m");
        doc.withArray("params").addObject().put("@class", MessageCodecTest.class.getName() + "$InitialisedByName");
        IncomingRequest r = codec.decodeRequest(bson.writeValueAsBytes(doc));
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Marked.class}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class);
        assertThat(INITIALISED_BY_NAME).as("the named class's static initialiser ran").isFalse();
    }

    @Test
    void objectParametersBindToPlainMapsNotToNamedClasses() throws Exception {
        GADGET_CREATED.set(false);
        ObjectNode doc = request("1", "S", "m");
        doc.withArray("params").addObject().put("@class", Gadget.class.getName()).put("x", 1);
        Object[] bound = codec.decodeRequest(bson.writeValueAsBytes(doc)).bindArguments(new Type[] {Object.class});
        assertThat(bound[0]).isInstanceOf(Map.class);
        assertThat(GADGET_CREATED).isFalse();
    }

    /** Loading it is the attack: its static initialiser records that it ran. */
    public static final class LoadedByName {
        static {
            LOADED_BY_NAME.set(true);
        }
    }

    static final AtomicBoolean LOADED_BY_NAME = new AtomicBoolean();

    @Test
    void classTypedParametersAreRefusedSoTheDataCannotLoadAClass() throws Exception {
        LOADED_BY_NAME.set(false);
        ObjectNode doc = request("1", "S", "m");
        doc.withArray("params").add(MessageCodecTest.class.getName() + "$LoadedByName");
        doc.withArray("params").addArray().add(MessageCodecTest.class.getName() + "$LoadedByName");
        IncomingRequest r = codec.decodeRequest(bson.writeValueAsBytes(doc));
        Type listOfClasses = ClassHolder.class.getMethod("classes").getGenericReturnType();
        assertThatThrownBy(() -> r.bindArguments(new Type[] {Class.class, listOfClasses}))
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class)
                .hasMessageContaining("does not bind java.lang.Class");
        assertThat(LOADED_BY_NAME).isFalse();
    }

    interface ClassHolder {
        List<Class<?>> classes();
    }

    private ObjectNode request(String id, String service, String method) {
        ObjectNode doc = bson.createObjectNode();
        doc.put("id", id).put("service", service).put("method", method);
        doc.putArray("params");
        return doc;
    }

    @Test
    void encodingUsesTheDeclaredTypeNotTheRuntimeClass() throws IOException {
        // A subclass's extra state is not sent when the contract declares the base type.
        class Extended extends Pojo {
            public String getSecret() {
                return "do-not-send";
            }
        }
        Extended e = new Extended();
        e.setLabel("l");
        byte[] bytes = codec.encodeResponse("1", Pojo.class, e).bson();
        assertThat(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("do-not-send");
    }
}
