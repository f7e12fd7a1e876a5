package dev.halibut.wire;

import com.fasterxml.jackson.databind.JavaType;
import java.lang.reflect.Type;
import java.util.List;

/**
 * Writes the envelope of a plain small call straight into its BSON bytes: ASCII strings, and values whose declared
 * types are {@code int}, {@code long}, {@code boolean}, {@code double} (or their boxes) or {@code String}. The
 * bytes are exactly those Jackson and bson4jackson write for the same message (int32, int64, boolean, double,
 * string, null; arrays keyed "0", "1", ...), without a generator, its buffers and a serializer per value, which
 * were most of what is left of the codec's work for such a call. Anything else: {@code null}, and the generator
 * writes it.
 */
final class PlainEnvelopeWriter {

    private static final byte STRING = 0x02;
    private static final byte ARRAY = 0x04;

    private PlainEnvelopeWriter() {
    }

    /** The request's BSON, or {@code null} if it is not plain. */
    static byte[] request(String id, String service, String method, List<String> parameterTypeNames,
                          Type[] parameterTypes, Object[] arguments) {
        if (!ascii(id) || !ascii(service) || !ascii(method)) {
            return null;
        }
        int size = 4 + stringElement("id", id) + stringElement("service", service) + stringElement("method", method)
                + 1 + "paramTypes".length() + 1 + 5 + 1 + "params".length() + 1 + 5 + 1;
        for (int i = 0; i < parameterTypeNames.size(); i++) {
            String name = parameterTypeNames.get(i);
            if (!ascii(name)) {
                return null;
            }
            size += stringElement(key(i), name);
        }
        for (int i = 0; i < parameterTypes.length; i++) {
            int value = valueSize(parameterTypes[i], arguments == null ? null : arguments[i]);
            if (value < 0) {
                return null;
            }
            size += 1 + key(i).length() + 1 + value;
        }
        Out out = new Out(size);
        out.int32(size);
        out.string("id", id);
        out.string("service", service);
        out.string("method", method);
        int types = out.startArray("paramTypes");
        for (int i = 0; i < parameterTypeNames.size(); i++) {
            out.string(key(i), parameterTypeNames.get(i));
        }
        out.endArray(types);
        int params = out.startArray("params");
        for (int i = 0; i < parameterTypes.length; i++) {
            out.value(key(i), arguments == null ? null : arguments[i]);
        }
        out.endArray(params);
        out.end();
        return out.done();
    }

    /** The successful response's BSON, or {@code null} if it is not plain. */
    static byte[] response(String id, Type resultType, Object result) {
        if (!ascii(id)) {
            return null;
        }
        int value = valueSize(resultType, result);
        if (value < 0) {
            return null;
        }
        int size = 4 + stringElement("id", id) + 1 + "result".length() + 1 + value + 1;
        Out out = new Out(size);
        out.int32(size);
        out.string("id", id);
        out.value("result", result);
        out.end();
        return out.done();
    }

    /**
     * The bytes of the value (after its type and name), or -1 if the generator must write it: the declared type is
     * not one of the plain ones, or the value is not of it, or it is a string that is not plain ASCII.
     */
    private static int valueSize(Type declared, Object value) {
        if (value == null) {
            return 0; // the generator writes null for a null value of any declared type
        }
        Class<?> c = plainClass(declared);
        if (c == null) {
            return -1;
        }
        if (value instanceof Integer && (c == int.class || c == Integer.class)) {
            return 4;
        }
        if (value instanceof Long && (c == long.class || c == Long.class)
                || value instanceof Double && (c == double.class || c == Double.class)) {
            return 8;
        }
        if (value instanceof Boolean && (c == boolean.class || c == Boolean.class)) {
            return 1;
        }
        if (value instanceof String s && c == String.class && ascii(s)) {
            return 4 + s.length() + 1;
        }
        return -1;
    }

    /**
     * The declared type's class if it is one of the plain ones, else {@code null}. Contract types come resolved, as
     * Jackson's {@link JavaType}s; none of the plain classes has type parameters, so the raw class says it all.
     */
    static Class<?> plainClass(Type declared) {
        Class<?> c = declared instanceof Class<?> k ? k : declared instanceof JavaType j ? j.getRawClass() : null;
        return c != null && plainType(c) ? c : null;
    }

    private static boolean plainType(Class<?> c) {
        return c == int.class || c == Integer.class || c == long.class || c == Long.class || c == boolean.class
                || c == Boolean.class || c == double.class || c == Double.class || c == String.class;
    }

    /** A string element's bytes: type, name, length, the string and its zero. */
    private static int stringElement(String name, String value) {
        return 1 + name.length() + 1 + 4 + value.length() + 1;
    }

    /** Characters 1 to 127 only: one byte each in UTF-8, and no zero to end a string early ({@code null}: no). */
    private static boolean ascii(String s) {
        if (s == null) {
            return false; // whatever the generator makes of it
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == 0 || ch > 0x7F) {
                return false;
            }
        }
        return true;
    }

    private static String key(int index) {
        return Integer.toString(index);
    }

    /** An array of the document's exact size, filled in order. */
    private static final class Out {
        private final byte[] bytes;
        private int pos;

        Out(int size) {
            bytes = new byte[size];
        }

        void int32(int v) {
            bytes[pos++] = (byte) v;
            bytes[pos++] = (byte) (v >>> 8);
            bytes[pos++] = (byte) (v >>> 16);
            bytes[pos++] = (byte) (v >>> 24);
        }

        void int64(long v) {
            int32((int) v);
            int32((int) (v >>> 32));
        }

        void name(byte type, String name) {
            bytes[pos++] = type;
            ascii(name);
            bytes[pos++] = 0;
        }

        void ascii(String s) {
            for (int i = 0; i < s.length(); i++) {
                bytes[pos++] = (byte) s.charAt(i);
            }
        }

        void string(String name, String value) {
            name(STRING, name);
            int32(value.length() + 1);
            ascii(value);
            bytes[pos++] = 0;
        }

        /** Starts an array element; returns where its length goes. */
        int startArray(String name) {
            name(ARRAY, name);
            int at = pos;
            pos += 4;
            return at;
        }

        void endArray(int lengthAt) {
            bytes[pos++] = 0;
            int length = pos - lengthAt;
            bytes[lengthAt] = (byte) length;
            bytes[lengthAt + 1] = (byte) (length >>> 8);
            bytes[lengthAt + 2] = (byte) (length >>> 16);
            bytes[lengthAt + 3] = (byte) (length >>> 24);
        }

        /** A value {@link #valueSize} accepted. */
        void value(String name, Object v) {
            if (v == null) {
                name((byte) 0x0A, name);
            } else if (v instanceof Integer i) {
                name((byte) 0x10, name);
                int32(i);
            } else if (v instanceof Long l) {
                name((byte) 0x12, name);
                int64(l);
            } else if (v instanceof Double d) {
                name((byte) 0x01, name);
                int64(Double.doubleToRawLongBits(d));
            } else if (v instanceof Boolean b) {
                name((byte) 0x08, name);
                bytes[pos++] = (byte) (b ? 1 : 0);
            } else {
                string(name, (String) v);
            }
        }

        void end() {
            bytes[pos++] = 0;
        }

        byte[] done() {
            if (pos != bytes.length) {
                throw new IllegalStateException("The envelope took " + pos + " of its " + bytes.length + " bytes");
            }
            return bytes;
        }
    }
}
