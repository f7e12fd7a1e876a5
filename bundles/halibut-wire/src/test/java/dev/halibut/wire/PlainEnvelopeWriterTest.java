package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The envelopes written straight into bytes ({@link PlainEnvelopeWriter}) are byte for byte what Jackson's generator
 * writes for the same message, over seeded random plain calls (every plain type, boxes and primitives, nulls,
 * extremes, NaN, empty and long strings), and what is not plain is left to the generator.
 */
class PlainEnvelopeWriterTest {

    private static final Type[] PLAIN = {int.class, Integer.class, long.class, Long.class, boolean.class,
            Boolean.class, double.class, Double.class, String.class};

    private final MessageCodec codec = new MessageCodec();
    private final Random random = new Random(2026_11_28L);

    @Test
    void plainRequestsAreTheBytesTheGeneratorWrites() throws Exception {
        for (int n = 0; n < 3000; n++) {
            int count = random.nextInt(6);
            Type[] types = new Type[count];
            Object[] args = new Object[count];
            for (int i = 0; i < count; i++) {
                Type plain = PLAIN[random.nextInt(PLAIN.length)];
                args[i] = value(plain);
                types[i] = resolvedOrNot(plain);
            }
            String id = Long.toHexString(random.nextLong()) + "-" + n;
            String service = randomAscii(1 + random.nextInt(12));
            String method = randomAscii(1 + random.nextInt(12));
            List<String> names = new ArrayList<>();
            for (Type t : types) {
                names.add(ContractTypes.rawClass(t).getTypeName());
            }
            byte[] plain = PlainEnvelopeWriter.request(id, service, method, names, types, args);
            assertThat(plain).as("plain request %s %s", Arrays.toString(types), Arrays.toString(args)).isNotNull();
            assertThat(plain).as("request %s %s", Arrays.toString(types), Arrays.toString(args))
                    .isEqualTo(codec.encodeRequestGenerated(id, service, method, names, types, args).bson());
        }
    }

    @Test
    void plainResponsesAreTheBytesTheGeneratorWrites() throws Exception {
        for (int n = 0; n < 3000; n++) {
            Type plain = PLAIN[random.nextInt(PLAIN.length)];
            Object result = value(plain);
            Type type = resolvedOrNot(plain);
            String id = "r-" + n;
            assertThat(PlainEnvelopeWriter.response(id, type, result)).as("response %s %s", type, result)
                    .isEqualTo(codec.encodeResponseGenerated(id, type, result).bson());
        }
        assertThat(PlainEnvelopeWriter.response("v", void.class, null))
                .isEqualTo(codec.encodeResponseGenerated("v", void.class, null).bson());
    }

    @Test
    void whatIsNotPlainIsLeftToTheGenerator() {
        Type[] one = {String.class};
        assertThat(PlainEnvelopeWriter.request("1", "S", "m", List.of("java.lang.String"), one, new Object[] {"Grüße"}))
                .isNull();
        assertThat(PlainEnvelopeWriter.request("1", "Dienst-ä", "m", List.of(), new Type[0], new Object[0])).isNull();
        assertThat(PlainEnvelopeWriter.request("1", "S", "m", List.of("java.lang.String"), one, new Object[] {"a\0b"}))
                .isNull();
        assertThat(PlainEnvelopeWriter.request("1", "S", "m", List.of("java.util.List"), new Type[] {List.class},
                new Object[] {List.of(1)})).isNull();
        assertThat(PlainEnvelopeWriter.request("1", "S", "m", List.of("java.lang.Object"), new Type[] {Object.class},
                new Object[] {1})).isNull();
        assertThat(PlainEnvelopeWriter.request("1", "S", "m", List.of("float"), new Type[] {float.class},
                new Object[] {1f})).isNull();
        assertThat(PlainEnvelopeWriter.response("1", long.class, 1)).as("an Integer for a long").isNull();
        assertThat(PlainEnvelopeWriter.response("1", void.class, "x")).isNull();
        assertThat(PlainEnvelopeWriter.response("1", ContractTypes.typeFactory().constructType(List.class), List.of()))
                .isNull();
        assertThat(PlainEnvelopeWriter.response("1", ContractTypes.typeFactory().constructType(int.class), 5))
                .as("a resolved int").isNotNull();
    }

    /** As a contract's methods give it (resolved, a JavaType) or as a plain class: both are written alike. */
    private Type resolvedOrNot(Type plain) {
        return random.nextBoolean() ? ContractTypes.typeFactory().constructType(plain) : plain;
    }

    private Object value(Type type) {
        if (type != int.class && type != long.class && type != boolean.class && type != double.class
                && random.nextInt(8) == 0) {
            return null;
        }
        if (type == int.class || type == Integer.class) {
            return switch (random.nextInt(4)) {
                case 0 -> Integer.MIN_VALUE;
                case 1 -> Integer.MAX_VALUE;
                default -> random.nextInt();
            };
        }
        if (type == long.class || type == Long.class) {
            return switch (random.nextInt(4)) {
                case 0 -> Long.MIN_VALUE;
                case 1 -> (long) random.nextInt(100);
                default -> random.nextLong();
            };
        }
        if (type == boolean.class || type == Boolean.class) {
            return random.nextBoolean();
        }
        if (type == double.class || type == Double.class) {
            return switch (random.nextInt(6)) {
                case 0 -> Double.NaN;
                case 1 -> -0.0;
                case 2 -> Double.POSITIVE_INFINITY;
                case 3 -> Double.MIN_VALUE;
                default -> random.nextDouble() * 1e6 - 5e5;
            };
        }
        return random.nextInt(10) == 0 ? "" : randomAscii(random.nextInt(10) == 0 ? 300 : 1 + random.nextInt(20));
    }

    private String randomAscii(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) (1 + random.nextInt(127)));
        }
        return s.toString();
    }

}
