package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.DataStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The BSON element type each Java type is encoded as: the "sent as" column of the table in
 * docs/protocol.md, section 4. A peer in another language relies on these exact element types.
 */
class BsonElementTypesTest {

    private static final byte DOUBLE = 0x01;
    private static final byte STRING = 0x02;
    private static final byte DOCUMENT = 0x03;
    private static final byte ARRAY = 0x04;
    private static final byte BINARY = 0x05;
    private static final byte BOOLEAN = 0x08;
    private static final byte NULL = 0x0A;
    private static final byte INT32 = 0x10;
    private static final byte INT64 = 0x12;

    enum Colour { RED }

    record Point(int x, long y) {
    }

    public static class Bean {
        public String getLabel() {
            return "b";
        }
    }

    private final MessageCodec codec = new MessageCodec();

    /** The element type of {@code result} when {@code value} is encoded as {@code type}. */
    private byte elementType(Type type, Object value) throws Exception {
        byte[] bson = codec.encodeResponse("1", type, value).bson();
        byte[] key = "result\0".getBytes(StandardCharsets.US_ASCII);
        for (int i = 5; i + key.length <= bson.length; i++) {
            if (Arrays.equals(bson, i, i + key.length, key, 0, key.length)) {
                return bson[i - 1];
            }
        }
        throw new AssertionError("no result element");
    }

    private String text(Type type, Object value) throws Exception {
        return codec.decodeResponse(codec.encodeResponse("1", type, value).bson()).bindResult(String.class).toString();
    }

    @Test
    void scalarsAreSentAsTheseElementTypes() throws Exception {
        assertThat(elementType(int.class, 7)).isEqualTo(INT32);
        assertThat(elementType(Integer.class, 7)).isEqualTo(INT32);
        assertThat(elementType(short.class, (short) 7)).isEqualTo(INT32);
        assertThat(elementType(byte.class, (byte) 7)).isEqualTo(INT32);
        // A long is always int64, however small.
        assertThat(elementType(long.class, 7L)).isEqualTo(INT64);
        assertThat(elementType(Long.class, 7L)).isEqualTo(INT64);
        assertThat(elementType(double.class, 7.5)).isEqualTo(DOUBLE);
        assertThat(elementType(float.class, 7.5f)).isEqualTo(DOUBLE);
        assertThat(elementType(boolean.class, true)).isEqualTo(BOOLEAN);
        assertThat(elementType(String.class, "s")).isEqualTo(STRING);
        assertThat(elementType(char.class, 'c')).isEqualTo(STRING);
        assertThat(elementType(byte[].class, new byte[] {1})).isEqualTo(BINARY);
        assertThat(elementType(Colour.class, Colour.RED)).isEqualTo(STRING);
        assertThat(text(Colour.class, Colour.RED)).isEqualTo("RED");
        assertThat(elementType(UUID.class, UUID.randomUUID())).isEqualTo(STRING);
        assertThat(elementType(String.class, null)).isEqualTo(NULL);
    }

    @Test
    void binaryIsGenericSubtypeZero() throws Exception {
        byte[] bson = codec.encodeResponse("1", byte[].class, new byte[] {9, 8}).bson();
        byte[] key = "result\0".getBytes(StandardCharsets.US_ASCII);
        int at = -1;
        for (int i = 0; i + key.length <= bson.length; i++) {
            if (Arrays.equals(bson, i, i + key.length, key, 0, key.length)) {
                at = i + key.length;
            }
        }
        // int32 length (2, little-endian), subtype, the bytes.
        assertThat(Arrays.copyOfRange(bson, at, at + 7)).containsExactly(2, 0, 0, 0, 0, 9, 8);
    }

    @Test
    void structuresAreSentAsDocumentsAndArrays() throws Exception {
        assertThat(elementType(Point.class, new Point(1, 2))).isEqualTo(DOCUMENT);
        assertThat(elementType(Bean.class, new Bean())).isEqualTo(DOCUMENT);
        assertThat(elementType(List.class, List.of(1))).isEqualTo(ARRAY);
        assertThat(elementType(Set.class, Set.of(1))).isEqualTo(ARRAY);
        assertThat(elementType(int[].class, new int[] {1})).isEqualTo(ARRAY);
        assertThat(elementType(String[].class, new String[] {"a"})).isEqualTo(ARRAY);
        assertThat(elementType(Map.class, Map.of("k", 1))).isEqualTo(DOCUMENT);
        assertThat(elementType(DataStream.class, DataStream.fromBytes(new byte[] {1}))).isEqualTo(DOCUMENT);
    }

    @Test
    void optionalIsItsValueOrNull() throws Exception {
        Type optionalString = Holder.class.getDeclaredField("optional").getGenericType();
        assertThat(elementType(optionalString, Optional.of("x"))).isEqualTo(STRING);
        assertThat(elementType(optionalString, Optional.empty())).isEqualTo(NULL);
    }

    @Test
    void javaTimeIsSentAsIso8601Strings() throws Exception {
        assertThat(elementType(Instant.class, Instant.EPOCH)).isEqualTo(STRING);
        assertThat(text(Instant.class, Instant.parse("2026-11-27T13:00:00.123456789Z")))
                .isEqualTo("2026-11-27T13:00:00.123456789Z");
        assertThat(text(LocalDate.class, LocalDate.of(2026, 11, 27))).isEqualTo("2026-11-27");
        assertThat(text(LocalDateTime.class, LocalDateTime.of(2026, 11, 27, 13, 0, 5))).isEqualTo("2026-11-27T13:00:05");
        assertThat(text(OffsetDateTime.class, OffsetDateTime.of(2026, 11, 27, 13, 0, 0, 0, ZoneOffset.ofHours(1))))
                .isEqualTo("2026-11-27T13:00:00+01:00");
        // A ZonedDateTime travels with its offset only: the zone id is not sent.
        assertThat(text(ZonedDateTime.class, ZonedDateTime.of(2026, 11, 27, 13, 0, 0, 0, ZoneId.of("Europe/Paris"))))
                .isEqualTo("2026-11-27T13:00:00+01:00");
        assertThat(text(LocalTime.class, LocalTime.of(13, 0, 5))).isEqualTo("13:00:05");
        assertThat(elementType(Duration.class, Duration.ofSeconds(90, 5))).isEqualTo(STRING);
        assertThat(text(Duration.class, Duration.ofSeconds(90, 5))).isEqualTo("PT1M30.000000005S");
    }

    static final class Holder {
        Optional<String> optional;
    }
}
