package dev.halibut.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Binds the scalar Java types only from the BSON values that represent them exactly (docs/protocol.md,
 * section 4, "Values"): integers only from int32 or int64 within the type's range, floating-point numbers
 * from doubles (and from integers the type represents exactly), booleans only from booleans, strings only
 * from strings, {@code byte[]} only from binary. Anything else fails the binding instead of being converted:
 * Jackson's own deserializers truncate 8.5 to 8, wrap 255 into a byte, parse "8" as a number and take 1 as
 * {@code true}.
 *
 * <p>{@code null} (BSON null) binds to {@code null} for the boxed types and is refused for a primitive. A
 * field missing from a document keeps its default ({@code 0}, {@code false}), so contracts may gain fields.
 */
final class StrictScalarsModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    /** Reads one value of the current token, or throws naming what came instead. */
    private interface Reader<T> {
        T read(JsonParser p, DeserializationContext ctxt, Scalar<T> target) throws IOException;
    }

    StrictScalarsModule() {
        super("halibut-strict-scalars");
        integral(int.class, Integer.class, 0, Integer.MIN_VALUE, Integer.MAX_VALUE, v -> (int) v);
        integral(long.class, Long.class, 0L, Long.MIN_VALUE, Long.MAX_VALUE, v -> v);
        integral(short.class, Short.class, (short) 0, Short.MIN_VALUE, Short.MAX_VALUE, v -> (short) v);
        integral(byte.class, Byte.class, (byte) 0, Byte.MIN_VALUE, Byte.MAX_VALUE, v -> (byte) v);
        both(double.class, Double.class, 0.0, StrictScalarsModule::readDouble, LogicalType.Float);
        both(float.class, Float.class, 0.0f, StrictScalarsModule::readFloat, LogicalType.Float);
        both(boolean.class, Boolean.class, false, StrictScalarsModule::readBoolean, LogicalType.Boolean);
        both(char.class, Character.class, '\0', StrictScalarsModule::readChar, LogicalType.Textual);
        addDeserializer(String.class, new Scalar<>(String.class, "String", false, null,
                StrictScalarsModule::readString, LogicalType.Textual));
        addDeserializer(byte[].class, new Scalar<>(byte[].class, "byte[]", false, null,
                StrictScalarsModule::readBinary, LogicalType.Binary));
    }

    private <T> void integral(Class<T> primitive, Class<T> boxed, T zero, long min, long max, LongFunction<T> narrow) {
        Reader<T> reader = (p, ctxt, target) -> {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw mismatch(p, ctxt, target, "an integer (BSON int32 or int64)");
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw outOfRange(p, ctxt, target, p.getBigIntegerValue().toString());
            }
            long v = p.getLongValue();
            if (v < min || v > max) {
                throw outOfRange(p, ctxt, target, Long.toString(v));
            }
            return narrow.apply(v);
        };
        both(primitive, boxed, zero, reader, LogicalType.Integer);
    }

    @SuppressWarnings("unchecked")
    private <T> void both(Class<T> primitive, Class<T> boxed, T zero, Reader<T> reader, LogicalType logicalType) {
        Scalar<T> primitiveScalar = new Scalar<>(primitive, primitive.getName(), true, zero, reader, logicalType);
        addDeserializer(primitive, primitiveScalar);
        addDeserializer(boxed, new Scalar<>(boxed, boxed.getSimpleName(), false, null, reader, logicalType));
        // Jackson's arrays of primitives (int[], double[], ...) do not use element deserializers; these do.
        Class<Object> arrayType = (Class<Object>) primitiveArrayClass(primitive);
        if (primitive != byte.class) { // byte[] is BSON binary: its own deserializer, registered in the constructor
            addDeserializer(arrayType, new PrimitiveArray<>(arrayType, primitiveScalar));
        }
    }

    private static Class<?> primitiveArrayClass(Class<?> primitive) {
        return Array.newInstance(primitive, 0).getClass();
    }

    private static double readDouble(JsonParser p, DeserializationContext ctxt, Scalar<?> target) throws IOException {
        switch (p.currentToken()) {
            case VALUE_NUMBER_FLOAT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_DECIMAL) {
                    BigDecimal exact = p.getDecimalValue();
                    double d = exact.doubleValue();
                    if (Double.isInfinite(d) || new BigDecimal(d).compareTo(exact) != 0) {
                        throw notExact(p, ctxt, target, exact.toString());
                    }
                    return d;
                }
                return p.getDoubleValue();
            case VALUE_NUMBER_INT:
                return exactDouble(p, ctxt, target);
            default:
                throw mismatch(p, ctxt, target, "a number (BSON double, or an int32 or int64 it holds exactly)");
        }
    }

    private static float readFloat(JsonParser p, DeserializationContext ctxt, Scalar<Float> target) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_FLOAT && p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw mismatch(p, ctxt, target, "a number (BSON double, or an int32 or int64 it holds exactly)");
        }
        double d = p.currentToken() == JsonToken.VALUE_NUMBER_INT ? exactDouble(p, ctxt, target) : readDouble(p, ctxt, target);
        float f = (float) d;
        if (!Double.isNaN(d) && (double) f != d) {
            throw notExact(p, ctxt, target, Double.toString(d));
        }
        return f;
    }

    /** An integer token as a double, refused unless the double holds it exactly. */
    private static double exactDouble(JsonParser p, DeserializationContext ctxt, Scalar<?> target) throws IOException {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw notExact(p, ctxt, target, p.getBigIntegerValue().toString());
        }
        long v = p.getLongValue();
        double d = v;
        if (Math.abs(v) > (1L << 53) && new BigDecimal(d).compareTo(BigDecimal.valueOf(v)) != 0) {
            throw notExact(p, ctxt, target, Long.toString(v));
        }
        return d;
    }

    private static boolean readBoolean(JsonParser p, DeserializationContext ctxt, Scalar<Boolean> target) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            default -> throw mismatch(p, ctxt, target, "a BSON boolean");
        };
    }

    private static String readString(JsonParser p, DeserializationContext ctxt, Scalar<String> target) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw mismatch(p, ctxt, target, "a BSON string");
        }
        return p.getText();
    }

    private static char readChar(JsonParser p, DeserializationContext ctxt, Scalar<Character> target) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING || p.getTextLength() != 1) {
            throw mismatch(p, ctxt, target, "a BSON string of exactly one UTF-16 character");
        }
        return p.getText().charAt(0);
    }

    private static byte[] readBinary(JsonParser p, DeserializationContext ctxt, Scalar<byte[]> target) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_EMBEDDED_OBJECT && p.getEmbeddedObject() instanceof byte[] bytes) {
            return bytes;
        }
        throw mismatch(p, ctxt, target, "BSON binary data");
    }

    private static IOException mismatch(JsonParser p, DeserializationContext ctxt, Scalar<?> target, String expected)
            throws IOException {
        return failure(p, "expected " + expected + " for " + name(target) + ", got " + describe(p));
    }

    private static IOException outOfRange(JsonParser p, DeserializationContext ctxt, Scalar<?> target, String value) {
        return failure(p, value + " is out of range for " + name(target));
    }

    private static IOException notExact(JsonParser p, DeserializationContext ctxt, Scalar<?> target, String value) {
        return failure(p, value + " cannot be represented exactly as " + name(target));
    }

    /** A value that does not fit its declared type exactly (a mismatched input, as Jackson reports them). */
    private static MismatchedInputException failure(JsonParser p, String message) {
        return MismatchedInputException.from(p, (Class<?>) null, message);
    }

    private static String name(Scalar<?> target) {
        return target == null ? "a number" : target.javaName;
    }

    /** What the current token is, in BSON terms, for the error message. */
    static String describe(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case VALUE_NUMBER_INT -> (p.getNumberType() == JsonParser.NumberType.INT ? "the int32 " : "the int64 ")
                    + p.getText();
            case VALUE_NUMBER_FLOAT -> "the double " + p.getText();
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "a document";
            case START_ARRAY -> "an array";
            case VALUE_EMBEDDED_OBJECT -> p.getEmbeddedObject() instanceof byte[] ? "binary data"
                    : "a BSON " + (p.getEmbeddedObject() == null ? "value" : p.getEmbeddedObject().getClass().getSimpleName());
            default -> t.toString();
        };
    }

    /** A scalar type bound by a {@link Reader}. */
    private static final class Scalar<T> extends StdScalarDeserializer<T> {
        private static final long serialVersionUID = 1L;

        private final String javaName;
        private final boolean primitive;
        private final transient T zero;
        private final transient Reader<T> reader;
        private final LogicalType logicalType;

        Scalar(Class<T> type, String javaName, boolean primitive, T zero, Reader<T> reader, LogicalType logicalType) {
            super(type);
            this.javaName = javaName;
            this.primitive = primitive;
            this.zero = zero;
            this.reader = reader;
            this.logicalType = logicalType;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return reader.read(p, ctxt, this);
        }

        /** BSON null: refused for a primitive, {@code null} for the rest. */
        @Override
        public T getNullValue(DeserializationContext ctxt) throws JsonMappingException {
            if (primitive) {
                throw failure(ctxt.getParser(), "null cannot be bound to the primitive " + javaName);
            }
            return null;
        }

        /** A missing document field keeps the primitive's default, so documents may gain fields compatibly. */
        @Override
        public Object getAbsentValue(DeserializationContext ctxt) {
            return zero;
        }

        @Override
        public LogicalType logicalType() {
            return logicalType;
        }
    }

    /** An array of a primitive type, each element bound strictly. */
    private static final class PrimitiveArray<A> extends StdScalarDeserializer<A> {
        private static final long serialVersionUID = 1L;

        private final transient Scalar<?> element;

        PrimitiveArray(Class<A> arrayType, Scalar<?> element) {
            super(arrayType);
            this.element = element;
        }

        @Override
        @SuppressWarnings("unchecked")
        public A deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw failure(p, "expected a BSON array for " + element.javaName + "[], got "
                        + describe(p));
            }
            List<Object> values = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                values.add(p.currentToken() == JsonToken.VALUE_NULL ? element.getNullValue(ctxt)
                        : element.deserialize(p, ctxt));
            }
            Object array = Array.newInstance(handledType().getComponentType(), values.size());
            for (int i = 0; i < values.size(); i++) {
                Array.set(array, i, values.get(i));
            }
            return (A) array;
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Array;
        }
    }

}
