package dev.halibut.runtime.internal;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Export properties on the wire: each value as its type name, its kind (scalar, array, list or set) and
 * its elements in string form, the way OSGi Remote Service Admin writes endpoint properties in XML
 * ({@code value-type} String, Long, long, Double, ..., and {@code <array>}, {@code <list>}, {@code <set>}),
 * so the types survive the trip and a peer in any language can read and write them.
 */
final class PropertyValues {

    static final String SCALAR = "scalar";
    static final String ARRAY = "array";
    static final String LIST = "list";
    static final String SET = "set";

    private record Kind(Class<?> boxed, Class<?> primitive, Function<String, Object> parse) {
    }

    /** By wire type name; the lower-case names are the primitives, allowed in arrays only. */
    private static final Map<String, Kind> TYPES = Map.ofEntries(
            Map.entry("String", new Kind(String.class, null, s -> s)),
            Map.entry("Long", new Kind(Long.class, long.class, Long::valueOf)),
            Map.entry("Integer", new Kind(Integer.class, int.class, Integer::valueOf)),
            Map.entry("Short", new Kind(Short.class, short.class, Short::valueOf)),
            Map.entry("Byte", new Kind(Byte.class, byte.class, Byte::valueOf)),
            Map.entry("Character", new Kind(Character.class, char.class, PropertyValues::character)),
            Map.entry("Double", new Kind(Double.class, double.class, Double::valueOf)),
            Map.entry("Float", new Kind(Float.class, float.class, Float::valueOf)),
            Map.entry("Boolean", new Kind(Boolean.class, boolean.class, PropertyValues::bool)));

    private static final Map<String, String> PRIMITIVES = Map.of("long", "Long", "int", "Integer", "short", "Short",
            "byte", "Byte", "char", "Character", "double", "Double", "float", "Float", "boolean", "Boolean");

    private PropertyValues() {
    }

    /** Encodes one property; values of other types are described as their {@code String} form. */
    static Description.Property encode(String key, Object value) {
        if (value.getClass().isArray()) {
            Class<?> component = value.getClass().getComponentType();
            int n = Array.getLength(value);
            List<Object> elements = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                elements.add(Array.get(value, i));
            }
            String type = component.isPrimitive() ? component.getName() : typeOf(component);
            return new Description.Property(key, type, ARRAY, strings(elements));
        }
        if (value instanceof Collection<?> c) {
            String type = commonType(c);
            return new Description.Property(key, type, value instanceof Set<?> ? SET : LIST, strings(c));
        }
        String type = typeOf(value.getClass());
        return new Description.Property(key, type, SCALAR, List.of(value.toString()));
    }

    /**
     * Decodes one property.
     *
     * @throws IllegalArgumentException the type, kind or a value is not valid; the message names the property
     */
    static Object decode(Description.Property p) {
        if (p.key() == null || p.key().isEmpty() || p.type() == null || p.kind() == null || p.values() == null) {
            throw new IllegalArgumentException("property " + p.key() + " lacks its key, type, kind or values");
        }
        boolean primitive = PRIMITIVES.containsKey(p.type());
        Kind kind = TYPES.get(primitive ? PRIMITIVES.get(p.type()) : p.type());
        if (kind == null) {
            throw new IllegalArgumentException("property " + p.key() + " has the unknown type '" + p.type()
                    + "' (expected one of " + TYPES.keySet() + ", or a primitive name in an array)");
        }
        if (primitive && !p.kind().equals(ARRAY)) {
            throw new IllegalArgumentException("property " + p.key() + ": the primitive type '" + p.type()
                    + "' is allowed in arrays only");
        }
        List<Object> values = new ArrayList<>(p.values().size());
        for (String s : p.values()) {
            try {
                values.add(kind.parse().apply(s));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("property " + p.key() + ": '" + s + "' is not a " + p.type(), e);
            }
        }
        switch (p.kind()) {
            case SCALAR -> {
                if (values.size() != 1) {
                    throw new IllegalArgumentException("property " + p.key() + " is a scalar with " + values.size()
                            + " values");
                }
                return values.get(0);
            }
            case ARRAY -> {
                Object array = Array.newInstance(primitive ? kind.primitive() : kind.boxed(), values.size());
                for (int i = 0; i < values.size(); i++) {
                    Array.set(array, i, values.get(i));
                }
                return array;
            }
            case LIST -> {
                return List.copyOf(values);
            }
            case SET -> {
                return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(values));
            }
            default -> throw new IllegalArgumentException("property " + p.key() + " has the unknown kind '" + p.kind()
                    + "' (expected scalar, array, list or set)");
        }
    }

    private static String typeOf(Class<?> c) {
        for (Map.Entry<String, Kind> e : TYPES.entrySet()) {
            if (e.getValue().boxed() == c) {
                return e.getKey();
            }
        }
        return "String";
    }

    private static String commonType(Collection<?> c) {
        String type = null;
        for (Object o : c) {
            String t = o == null ? "String" : typeOf(o.getClass());
            if (type != null && !type.equals(t)) {
                return "String";
            }
            type = t;
        }
        return type == null ? "String" : type;
    }

    private static List<String> strings(Collection<?> elements) {
        List<String> out = new ArrayList<>(elements.size());
        for (Object o : elements) {
            out.add(String.valueOf(o));
        }
        return out;
    }

    private static Object character(String s) {
        if (s.length() != 1) {
            throw new IllegalArgumentException("not one character");
        }
        return s.charAt(0);
    }

    private static Object bool(String s) {
        return switch (s) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("not true or false");
        };
    }
}
