package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.undercouch.bson4jackson.BsonFactory;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Values bind only from BSON values that represent them exactly (docs/protocol.md, section 4, "Values"):
 * each case sends one hand-built BSON value (int32, int64, double, string, boolean, binary, null, document,
 * array) for one declared Java type and checks that it binds to exactly that value, or is refused.
 */
class StrictBindingTest {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private final MessageCodec codec = new MessageCodec();
    private final ObjectMapper bson = new ObjectMapper(new BsonFactory());

    enum Colour { RED, GREEN }

    record Counter(String name, int count, boolean on) {
    }

    record Nick(String name, Optional<String> nick) {
    }

    record Score(String name, OptionalInt best, List<Integer> all) {
    }

    /** Binds {@code value}, sent as the one argument of a request, to {@code type}. */
    private Object bind(JsonNode value, Type type) throws Exception {
        ObjectNode doc = bson.createObjectNode().put("id", "1").put("service", "S").put("method", "m");
        doc.putArray("params").add(value);
        return codec.decodeRequest(bson.writeValueAsBytes(doc)).bindArguments(new Type[] {type})[0];
    }

    /** Binds {@code value}, sent as a response's result, to {@code type}. */
    private Object bindResult(JsonNode value, Type type) throws Exception {
        ObjectNode doc = bson.createObjectNode().put("id", "1");
        doc.set("result", value);
        return codec.decodeResponse(bson.writeValueAsBytes(doc)).bindResult(type);
    }

    private void refused(JsonNode value, Type type, String... messageParts) {
        assertThatThrownBy(() -> bind(value, type)).as("%s for %s", value, type)
                .isInstanceOf(IncomingRequest.ArgumentBindingException.class)
                .hasMessageContaining("Argument 0")
                .satisfies(e -> {
                    for (String part : messageParts) {
                        assertThat(e.getMessage()).contains(part);
                    }
                });
    }

    @Test
    void integersBindFromInt32OrInt64WithinRange() throws Exception {
        assertThat(bind(JSON.numberNode(8), int.class)).isEqualTo(8);
        assertThat(bind(JSON.numberNode(8L), int.class)).isEqualTo(8);
        assertThat(bind(JSON.numberNode((long) Integer.MIN_VALUE), Integer.class)).isEqualTo(Integer.MIN_VALUE);
        assertThat(bind(JSON.numberNode(8), long.class)).isEqualTo(8L);
        assertThat(bind(JSON.numberNode(Long.MAX_VALUE), Long.class)).isEqualTo(Long.MAX_VALUE);
        assertThat(bind(JSON.numberNode(-32768), short.class)).isEqualTo((short) -32768);
        assertThat(bind(JSON.numberNode(127), byte.class)).isEqualTo((byte) 127);
        assertThat(bind(JSON.numberNode(-128L), Byte.class)).isEqualTo((byte) -128);
    }

    @Test
    void integersRefuseFractionsDoublesOutOfRangeStringsAndBooleans() {
        refused(JSON.numberNode(8.5), int.class, "expected an integer", "the double 8.5", "int");
        refused(JSON.numberNode(8.0), int.class, "the double 8.0");
        refused(JSON.numberNode(8.0), long.class, "the double 8.0");
        refused(JSON.numberNode(1L << 31), int.class, "2147483648 is out of range for int");
        refused(JSON.numberNode(-(1L << 31) - 1), Integer.class, "out of range for Integer");
        refused(JSON.numberNode(32768), short.class, "out of range for short");
        refused(JSON.numberNode(255), byte.class, "255 is out of range for byte");
        refused(JSON.textNode("8"), int.class, "a string");
        refused(JSON.textNode("8"), Long.class, "a string");
        refused(JSON.booleanNode(true), int.class, "a boolean");
        refused(JSON.objectNode(), int.class, "a document");
        refused(JSON.arrayNode().add(8), int.class, "an array");
    }

    @Test
    void floatingPointBindsFromDoublesAndFromIntegersItHoldsExactly() throws Exception {
        assertThat(bind(JSON.numberNode(8.5), double.class)).isEqualTo(8.5);
        assertThat(bind(JSON.numberNode(8), double.class)).isEqualTo(8.0);
        assertThat(bind(JSON.numberNode(1L << 53), Double.class)).isEqualTo((double) (1L << 53));
        assertThat(bind(JSON.numberNode(Double.NaN), double.class)).isEqualTo(Double.NaN);
        assertThat(bind(JSON.numberNode(8.5), float.class)).isEqualTo(8.5f);
        assertThat(bind(JSON.numberNode(Double.POSITIVE_INFINITY), Float.class)).isEqualTo(Float.POSITIVE_INFINITY);
        refused(JSON.numberNode((1L << 53) + 1), double.class, "9007199254740993 cannot be represented exactly as double");
        refused(JSON.numberNode(0.1), float.class, "0.1 cannot be represented exactly as float");
        refused(JSON.numberNode((1 << 24) + 1), float.class, "cannot be represented exactly as float");
        refused(JSON.textNode("8.5"), double.class, "a string");
        refused(JSON.booleanNode(false), Double.class, "a boolean");
    }

    @Test
    void booleansStringsCharsAndBinaryBindOnlyFromTheirOwnKind() throws Exception {
        assertThat(bind(JSON.booleanNode(true), boolean.class)).isEqualTo(true);
        refused(JSON.numberNode(1), boolean.class, "expected a BSON boolean", "the int32 1");
        refused(JSON.textNode("true"), Boolean.class, "a string");
        assertThat(bind(JSON.textNode("héllo"), String.class)).isEqualTo("héllo");
        refused(JSON.numberNode(8), String.class, "expected a BSON string", "the int32 8");
        refused(JSON.booleanNode(true), String.class, "a boolean");
        refused(JSON.binaryNode(new byte[] {1}), String.class, "binary data");
        refused(JSON.objectNode(), String.class, "a document");
        assertThat(bind(JSON.textNode("x"), char.class)).isEqualTo('x');
        refused(JSON.textNode("xy"), Character.class, "exactly one");
        refused(JSON.numberNode(120), char.class, "exactly one");
        assertThat((byte[]) bind(JSON.binaryNode(new byte[] {1, 2}), byte[].class)).containsExactly(1, 2);
        refused(JSON.textNode("AQI="), byte[].class, "expected BSON binary data", "a string");
        refused(JSON.arrayNode().add(1).add(2), byte[].class, "an array");
    }

    @Test
    void nullBindsToNullForReferencesAndIsRefusedForPrimitives() throws Exception {
        assertThat(bind(JSON.nullNode(), Integer.class)).isNull();
        assertThat(bind(JSON.nullNode(), String.class)).isNull();
        refused(JSON.nullNode(), int.class, "null cannot be bound to the primitive int");
        refused(JSON.nullNode(), boolean.class, "primitive boolean");
        assertThat(bind(JSON.nullNode(), Optional.class)).isEqualTo(Optional.empty());
        assertThatThrownBy(() -> bindResult(JSON.nullNode(), long.class)).hasMessageContaining("primitive long");
    }

    @Test
    void enumsBindFromTheirExactNameOnly() throws Exception {
        assertThat(bind(JSON.textNode("GREEN"), Colour.class)).isEqualTo(Colour.GREEN);
        refused(JSON.numberNode(1), Colour.class);
        refused(JSON.textNode("green"), Colour.class);
        refused(JSON.textNode(""), Colour.class);
    }

    @Test
    void strictnessHoldsInsideRecordsCollectionsMapsAndArrays() throws Exception {
        Type listOfInts = Holder.class.getDeclaredField("ints").getGenericType();
        Type mapOfLongs = Holder.class.getDeclaredField("longs").getGenericType();
        assertThat(bind(JSON.arrayNode().add(1).add(2L), listOfInts)).isEqualTo(List.of(1, 2));
        refused(JSON.arrayNode().add(1).add(2.5), listOfInts, "the double 2.5");
        assertThat(bind(JSON.objectNode().put("a", 1).put("b", 1L << 40), mapOfLongs)).isEqualTo(Map.of("a", 1L, "b", 1L << 40));
        refused(JSON.objectNode().put("a", "1"), mapOfLongs, "a string");
        assertThat((int[]) bind(JSON.arrayNode().add(1).add(2L), int[].class)).containsExactly(1, 2);
        refused(JSON.arrayNode().add(1).add(8.5), int[].class, "the double 8.5");
        refused(JSON.arrayNode().add(1L << 40), int[].class, "out of range for int");
        refused(JSON.arrayNode().add(1).addNull(), long[].class, "primitive long");
        assertThat((double[]) bind(JSON.arrayNode().add(1).add(0.5), double[].class)).containsExactly(1.0, 0.5);
        refused(JSON.arrayNode().add(0.1), float[].class, "exactly as float");
        refused(JSON.arrayNode().add(1), boolean[].class, "boolean");
        refused(JSON.arrayNode().add(1 << 15), short[].class, "out of range for short");
        assertThat(bind(JSON.objectNode().put("name", "c").put("count", 3L).put("on", true), Counter.class))
                .isEqualTo(new Counter("c", 3, true));
        refused(JSON.objectNode().put("name", "c").put("count", 3.5), Counter.class, "the double 3.5");
        refused(JSON.objectNode().put("name", 5).put("count", 3), Counter.class, "the int32 5");
        refused(JSON.objectNode().put("name", "c").putNull("count"), Counter.class, "primitive int");
        refused(JSON.objectNode().put("name", "c").put("on", 1), Counter.class, "a BSON boolean");
    }

    /** Documents may gain fields compatibly: a missing field keeps its default; an Optional one is empty. */
    @Test
    void missingFieldsKeepTheirDefaults() throws Exception {
        assertThat(bind(JSON.objectNode().put("name", "c"), Counter.class)).isEqualTo(new Counter("c", 0, false));
        assertThat(bind(JSON.objectNode().put("name", "n"), Nick.class)).isEqualTo(new Nick("n", Optional.empty()));
        assertThat(bind(JSON.objectNode().put("name", "n").putNull("nick"), Nick.class))
                .isEqualTo(new Nick("n", Optional.empty()));
        assertThat(bind(JSON.objectNode().put("name", "s"), Score.class))
                .isEqualTo(new Score("s", OptionalInt.empty(), null));
        assertThat(bind(JSON.objectNode().put("name", "s").putNull("best"), Score.class))
                .isEqualTo(new Score("s", OptionalInt.empty(), null));
    }

    @Test
    void javaTimeBindsFromIsoStringsOnly() throws Exception {
        assertThat(bind(JSON.textNode("2026-11-27T13:00:00.5Z"), Instant.class))
                .isEqualTo(Instant.parse("2026-11-27T13:00:00.5Z"));
        assertThat(bind(JSON.textNode("2026-11-27"), LocalDate.class)).isEqualTo(LocalDate.of(2026, 11, 27));
        assertThat(bind(JSON.textNode("2026-11-27T13:00:00+01:00"), OffsetDateTime.class))
                .isEqualTo(OffsetDateTime.of(2026, 11, 27, 13, 0, 0, 0, ZoneOffset.ofHours(1)));
        assertThat(bind(JSON.textNode("PT8H0.5S"), Duration.class)).isEqualTo(Duration.ofHours(8).plusMillis(500));
        // Older peers wrote a Duration as a number of seconds.
        assertThat(bind(JSON.numberNode(1.5), Duration.class)).isEqualTo(Duration.ofMillis(1500));
        refused(JSON.numberNode(1L << 40), Instant.class, "ISO-8601 string", "the int64");
        refused(JSON.numberNode(1.5), Instant.class, "ISO-8601 string");
        refused(JSON.arrayNode().add(2026).add(11).add(27), LocalDate.class, "an array");
        refused(JSON.textNode("yesterday"), Instant.class);
    }

    /** The caller binds results with the same strictness. */
    @Test
    void resultsAreBoundAsStrictly() throws Exception {
        assertThat(bindResult(JSON.numberNode(8L), int.class)).isEqualTo(8);
        assertThatThrownBy(() -> bindResult(JSON.numberNode(8.5), int.class))
                .hasMessageContaining("the double 8.5").hasMessageContaining("int");
        assertThatThrownBy(() -> bindResult(JSON.textNode("8"), long.class)).hasMessageContaining("a string");
    }

    static final class Holder {
        List<Integer> ints;
        Map<String, Long> longs;
    }
}
