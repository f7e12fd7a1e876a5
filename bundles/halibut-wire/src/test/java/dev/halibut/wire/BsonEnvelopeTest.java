package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.undercouch.bson4jackson.BsonFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The envelope read straight from BSON ({@link BsonEnvelope}) against the tree it replaces: for the same bytes, the
 * same envelope or the same protocol error, and the same bound values or the same binding error, for messages the
 * codec writes, hand-made ones (duplicate fields, wrong types, missing fields) and thousands of seeded mutations of
 * both. Also that the plain messages are the ones read straight, so the comparison is not vacuous.
 */
class BsonEnvelopeTest {

    private final MessageCodec codec = new MessageCodec();
    private static final ObjectMapper BSON = new ObjectMapper(new BsonFactory());

    record Point(int x, int y) {
    }

    /** Declared types each message's values are bound to, so that both fitting and failing bindings compare. */
    private static final Type[] TYPES = {Object.class, int.class, long.class, String.class, Integer.class,
            double.class, boolean.class, Point.class, List.class, Map.class};

    @Test
    void theCodecsOwnSmallMessagesAreReadStraightFromTheirBytes() throws Exception {
        byte[] request = codec.encodeRequest("r-1", "Adder", "add", new Type[] {int.class, int.class},
                new Object[] {1, 2}).bson();
        byte[] response = codec.encodeResponse("r-1", int.class, 3).bson();
        assertThat(BsonEnvelope.scan(request)).isNotNull();
        assertThat(BsonEnvelope.scan(response)).isNotNull();
        IncomingRequest in = codec.decodeRequest(request);
        assertThat(in.bindArguments(new Type[] {int.class, int.class})).containsExactly(1, 2);
        assertThat(codec.decodeResponse(response).bindResult(int.class)).isEqualTo(3);
    }

    @Test
    void envelopesTheScanLeavesToTheTreeAreNotReadStraight() throws Exception {
        assertThat(BsonEnvelope.scan(codec.encodeRequest("r-1", "Grüße", "m", new Type[0], new Object[0]).bson()))
                .isNull(); // not ASCII
        assertThat(BsonEnvelope.scan(codec.encodeRequest("r-1", "S", "m", new Type[] {byte[].class},
                new Object[] {new byte[] {1}}).bson())).isNull(); // binary
        assertThat(BsonEnvelope.scan(codec.encodeError("r-1", new RemoteError(ErrorKind.INVOCATION, "boom", "x.Y",
                null)))).isNull(); // error
    }

    @Test
    void requestsDecodeAndBindAsThroughTheTree() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(codec.encodeRequest("r-1", "Adder", "add", new Type[] {int.class, int.class}, new Object[] {1, 2})
                .bson());
        seeds.add(codec.encodeRequest("r-2", "S", "m", new Type[] {String.class, long.class, double.class,
                boolean.class, Object.class}, new Object[] {"text", 5_000_000_000L, 2.5, true, null}).bson());
        seeds.add(codec.encodeRequest("r-3", "S", "points", new Type[] {Point.class, List.class, Map.class},
                new Object[] {new Point(1, 2), List.of(1, "a", List.of(2.5)), Map.of("k", Map.of("n", 1))}).bson());
        seeds.add(codec.encodeRequest("r-4", "S", "none", new Type[0], new Object[0]).bson());
        seeds.add(document(g -> {
            g.writeStringField("id", "dup");
            g.writeStringField("service", "S");
            g.writeStringField("method", "first");
            g.writeStringField("method", "second"); // the last one counts
            g.writeArrayFieldStart("params");
            g.writeNumber(1);
            g.writeEndArray();
            g.writeArrayFieldStart("params");
            g.writeNumber(7);
            g.writeString("x");
            g.writeEndArray();
            g.writeNullField("paramTypes");
            g.writeNumberField("unknown", 3);
        }));
        seeds.add(document(g -> {
            g.writeNumberField("id", 12);
            g.writeStringField("service", "S");
            g.writeStringField("method", "m");
        }));
        seeds.add(document(g -> {
            g.writeStringField("id", "x".repeat(MessageCodec.MAX_ID_LENGTH + 1));
            g.writeStringField("service", "S");
            g.writeStringField("method", "m");
        }));
        seeds.add(document(g -> {
            g.writeStringField("id", "p");
            g.writeStringField("service", "S");
            g.writeStringField("method", "m");
            g.writeObjectFieldStart("params");
            g.writeNumberField("0", 1);
            g.writeEndObject();
        }));
        seeds.add(document(g -> {
            g.writeStringField("id", "t");
            g.writeStringField("service", "S");
            g.writeStringField("method", "m");
            g.writeArrayFieldStart("params");
            g.writeNumber(1);
            g.writeEndArray();
            g.writeArrayFieldStart("paramTypes");
            g.writeNumber(1);
            g.writeEndArray();
        }));
        seeds.add(document(g -> {
            g.writeStringField("id", "c");
            g.writeStringField("service", "S");
            g.writeStringField("method", "m");
            g.writeArrayFieldStart("paramTypes");
            g.writeString("int");
            g.writeString("int");
            g.writeEndArray();
            g.writeArrayFieldStart("params");
            g.writeNumber(1);
            g.writeEndArray();
            g.writeStringField("paramTypes", "int"); // not an array, and the last one
        }));
        for (byte[] seed : seeds) {
            compareRequest(seed);
        }
        int compared = compareMutations(seeds, this::compareRequest);
        assertThat(compared).as("mutations that passed the length check and were compared").isGreaterThan(1000);
    }

    @Test
    void responsesDecodeAndBindAsThroughTheTree() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(codec.encodeResponse("r-1", int.class, 3).bson());
        seeds.add(codec.encodeResponse("r-2", Point.class, new Point(3, 4)).bson());
        seeds.add(codec.encodeResponse("r-3", List.class, List.of(1, 2L, "x", true)).bson());
        seeds.add(codec.encodeResponse("r-4", void.class, null).bson());
        seeds.add(document(g -> {
            g.writeNumberField("result", 1);
            g.writeStringField("id", "late-id");
            g.writeStringField("result", "second"); // the last one counts
            g.writeArrayFieldStart("other");
            g.writeNumber(1);
            g.writeEndArray();
        }));
        seeds.add(document(g -> g.writeNumberField("result", 1))); // no id
        for (byte[] seed : seeds) {
            compareResponse(seed);
        }
        int compared = compareMutations(seeds, this::compareResponse);
        assertThat(compared).as("mutations that passed the length check and were compared").isGreaterThan(1000);
    }

    private interface Comparison {
        void compare(byte[] bson) throws Exception;
    }

    /**
     * Seeded single- and double-byte mutations of each seed; those the length check refuses are not compared.
     * Returns how many were compared, and checks that many of them were read straight (else nothing was tested).
     */
    private static int compareMutations(List<byte[]> seeds, Comparison comparison) throws Exception {
        Random random = new Random(20261128L);
        int compared = 0;
        int readStraight = 0;
        for (byte[] seed : seeds) {
            for (int i = 0; i < 600; i++) {
                byte[] m = seed.clone();
                for (int k = random.nextInt(2); k >= 0; k--) {
                    int at = 4 + random.nextInt(m.length - 4);
                    m[at] = switch (random.nextInt(4)) {
                        case 0 -> (byte) random.nextInt(256);
                        case 1 -> (byte) (m[at] ^ (1 << random.nextInt(8)));
                        case 2 -> (byte) random.nextInt(0x14); // an element type, or a small length
                        default -> (byte) "0123456789_idparmsTypesultd".charAt(random.nextInt(27));
                    };
                }
                try {
                    BsonLengths.check(m, MessageCodec.MAX_NESTING_DEPTH);
                } catch (ProtocolException refusedBeforeEitherReads) {
                    continue;
                }
                comparison.compare(m);
                compared++;
                readStraight += BsonEnvelope.scan(m) != null ? 1 : 0;
            }
        }
        assertThat(readStraight).as("compared mutations read straight from their bytes").isGreaterThan(compared / 4);
        return compared;
    }

    private void compareRequest(byte[] bson) throws Exception {
        String fast = withoutIdentities(describeRequest(() -> codec.decodeRequest(bson)));
        String tree = withoutIdentities(describeRequest(() -> codec.decodeRequestTree(bson)));
        assertThat(fast).as("request %s", Arrays.toString(bson)).isEqualTo(tree);
    }

    private void compareResponse(byte[] bson) throws Exception {
        String fast = withoutIdentities(describeResponse(() -> codec.decodeResponse(bson)));
        String tree = withoutIdentities(describeResponse(() -> codec.decodeResponseTree(bson)));
        assertThat(fast).as("response %s", Arrays.toString(bson)).isEqualTo(tree);
    }

    /** BSON's JavaScript, symbol and the like print as class@hash: two reads of the same bytes differ only there. */
    private static String withoutIdentities(String description) {
        return description.replaceAll("@[0-9a-f]{4,8}\\b", "@");
    }

    private interface Decode<T> {
        T run() throws ProtocolException;
    }

    /** Everything observable of a decoded request: its fields, and every binding of its arguments to TYPES. */
    private static String describeRequest(Decode<IncomingRequest> decode) {
        IncomingRequest r;
        try {
            r = decode.run();
        } catch (ProtocolException e) {
            return "refused: " + e.getMessage();
        }
        StringBuilder s = new StringBuilder(r.id() + "|" + r.service() + "|" + r.method() + "|"
                + r.parameterTypeNames() + "|" + r.argumentCount() + "|" + r.streams());
        for (Type t : TYPES) {
            Type[] all = new Type[r.argumentCount()];
            Arrays.fill(all, t);
            s.append("\n").append(t.getTypeName()).append(": ").append(outcome(() -> Arrays.deepToString(
                    r.bindArguments(all))));
        }
        return s.toString();
    }

    private static String describeResponse(Decode<IncomingResponse> decode) {
        IncomingResponse r;
        try {
            r = decode.run();
        } catch (ProtocolException e) {
            return "refused: " + e.getMessage();
        }
        StringBuilder s = new StringBuilder(r.id() + "|" + r.error() + "|" + r.streams());
        for (Type t : TYPES) {
            s.append("\n").append(t.getTypeName()).append(": ").append(outcome(() -> deep(r.bindResult(t))));
        }
        return s.toString();
    }

    private interface Bind {
        String run() throws Exception;
    }

    /** The value's text, or the failure's type and message (and its cause's, which carries Jackson's text). */
    private static String outcome(Bind bind) {
        try {
            return bind.run();
        } catch (Exception e) {
            return e.getClass().getName() + ": " + e.getMessage()
                    + (e.getCause() == null ? "" : " / " + e.getCause().getClass().getName());
        }
    }

    private static String deep(Object value) {
        return value instanceof Object[] a ? Arrays.deepToString(a)
                : value == null ? "null" : value.getClass().getName() + "=" + Objects.toString(value);
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** A BSON document with the fields {@code body} writes, duplicates and all. */
    private static byte[] document(Fields body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = BSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

}
