package dev.halibut.registry.config;

import java.lang.reflect.Array;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values out of a Config Admin dictionary. Values arrive typed ({@code int[]},
 * {@code String[]}) from metatype-aware tools and as plain strings from Karaf's {@code .cfg} files, so
 * every reader accepts both. Errors are {@link IllegalArgumentException}s that name the PID, the key and
 * the value ({@code dev.halibut.runtime: connect.timeout = '10' is not valid: a duration is a number with
 * a unit ...}), because an operator reads them in a log far from the file that caused them.
 *
 * <p>Formats: a list is an array, a collection or a comma-separated string (blank entries dropped); a
 * duration is {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 1d} or ISO-8601 ({@code PT30S});
 * a size is a number of bytes or a number with {@code KiB}, {@code MiB}, {@code GiB} or {@code TiB}.
 */
public final class ConfigValues {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|KiB|MiB|GiB|TiB)");

    private final String pid;
    private final Map<String, ?> properties;

    /**
     * @param pid        what errors name as the source of a value, e.g. {@code dev.halibut.runtime}
     * @param properties the configuration's properties
     */
    public ConfigValues(String pid, Map<String, ?> properties) {
        this.pid = pid;
        this.properties = properties;
    }

    /** What errors name as the source of a value. */
    public String pid() {
        return pid;
    }

    /** A trimmed string, or null when the key is absent or blank. */
    public String string(String key) {
        Object v = properties.get(key);
        if (v == null) {
            return null;
        }
        if (v.getClass().isArray() || v instanceof Collection) {
            List<String> all = strings(key);
            if (all.size() > 1) {
                throw invalid(key, v, "one value is expected, not a list");
            }
            return all.isEmpty() ? null : all.get(0);
        }
        String s = v.toString().trim();
        return s.isEmpty() ? null : s;
    }

    /** As {@link #string}, but a missing value is an error that shows {@code example}. */
    public String requiredString(String key, String example) {
        String s = string(key);
        if (s == null) {
            throw new IllegalArgumentException(pid + ": '" + key + "' is required (e.g. " + key + " = " + example + ")");
        }
        return s;
    }

    /** A list from an array, a collection or a comma-separated string; blank entries are dropped. */
    public List<String> strings(String key) {
        return list(properties.get(key));
    }

    /**
     * A list value as every Halibut configuration holds lists: an array, a collection or a comma-separated
     * string, each entry trimmed, blank entries dropped; empty for null.
     */
    public static List<String> list(Object value) {
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        List<Object> raw = new ArrayList<>();
        if (value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                raw.add(Array.get(value, i));
            }
        } else if (value instanceof Collection<?> c) {
            raw.addAll(c);
        } else {
            raw.add(value);
        }
        for (Object o : raw) {
            if (o == null) {
                continue;
            }
            for (String part : o.toString().split(",")) {
                String p = part.trim();
                if (!p.isEmpty()) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /**
     * Writes a list into {@code properties} in the shape its old value had, so that a configuration that
     * came from a {@code .cfg} file is written back as one: an array or collection becomes a
     * {@code String[]}; a string, or a key that was absent, becomes a comma-separated string. An empty
     * list removes the key.
     */
    public static void putList(Map<String, Object> properties, String key, List<String> values) {
        Object old = properties.get(key);
        if (values.isEmpty()) {
            properties.remove(key);
        } else if (old != null && (old.getClass().isArray() || old instanceof Collection)) {
            properties.put(key, values.toArray(new String[0]));
        } else {
            properties.put(key, String.join(",", values));
        }
    }

    /** Ports (0 to 65535; 0 = any free port) from a list. */
    public List<Integer> ports(String key) {
        List<Integer> ports = new ArrayList<>();
        for (String s : strings(key)) {
            int port = parseInt(key, s);
            if (port < 0 || port > 65535) {
                throw invalid(key, s, "a port is 0 (any free port) to 65535");
            }
            ports.add(port);
        }
        return ports;
    }

    /** A whole number of at least {@code min}; {@code defaultValue} when absent. */
    public int integer(String key, int defaultValue, int min) {
        String s = string(key);
        if (s == null) {
            return defaultValue;
        }
        int v = parseInt(key, s);
        if (v < min) {
            throw invalid(key, s, "the smallest allowed value is " + min);
        }
        return v;
    }

    /** A duration longer than zero; {@code defaultValue} when absent. */
    public Duration duration(String key, Duration defaultValue) {
        String s = string(key);
        if (s == null) {
            return defaultValue;
        }
        return parseDuration(key, s);
    }

    /** As {@link #duration}, but zero ({@code 0s}, {@code 0ms}, {@code PT0S}) is allowed too. */
    public Duration durationOrZero(String key, Duration defaultValue) {
        String s = string(key);
        if (s == null) {
            return defaultValue;
        }
        String t = s.trim();
        if (t.equalsIgnoreCase("PT0S") || t.matches("0+\\s*(ms|s|m|h|d)")) {
            return Duration.ZERO;
        }
        return parseDuration(key, s);
    }

    /** A size in bytes: a number, or a number with KiB, MiB or GiB; at most {@link Integer#MAX_VALUE}. */
    public int size(String key, int defaultValue) {
        String s = string(key);
        if (s == null) {
            return defaultValue;
        }
        long bytes = parseSize(key, s);
        if (bytes > Integer.MAX_VALUE) {
            throw invalid(key, s, "the largest allowed size is 2GiB - 1 byte");
        }
        return (int) bytes;
    }

    /** A size in bytes that may exceed 2 GiB: a number, or a number with KiB, MiB, GiB or TiB. */
    public long longSize(String key, long defaultValue) {
        String s = string(key);
        if (s == null) {
            return defaultValue;
        }
        long bytes = parseSize(key, s);
        if (bytes == Long.MAX_VALUE) {
            throw invalid(key, s, "the number is too large");
        }
        return bytes;
    }

    private long parseSize(String key, String s) {
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw invalid(key, s, "a size is a number of bytes, or a number with KiB, MiB or GiB (e.g. 16MiB)");
        }
        long unit = switch (m.group(2)) {
            case "KiB" -> 1024L;
            case "MiB" -> 1024L * 1024;
            case "GiB" -> 1024L * 1024 * 1024;
            case "TiB" -> 1024L * 1024 * 1024 * 1024;
            default -> 1L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private Duration parseDuration(String key, String s) {
        if (s.toUpperCase(Locale.ROOT).startsWith("P")) {
            try {
                return requirePositive(key, s, Duration.parse(s));
            } catch (DateTimeParseException e) {
                throw invalid(key, s, "not an ISO-8601 duration");
            }
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw invalid(key, s, "a duration is a number with a unit: 500ms, 30s, 10m, 2h, 1d (or ISO-8601 like PT30S)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw invalid(key, s, "the number is too large");
        }
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        return requirePositive(key, s, d);
    }

    private Duration requirePositive(String key, String s, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw invalid(key, s, "a duration must be longer than zero");
        }
        return d;
    }

    private int parseInt(String key, String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, s, "not a whole number");
        }
    }

    /**
     * The error for a value that is not valid, worded as every other configuration error:
     * {@code <pid>: <key> = '<value>' is not valid: <why>}.
     */
    public IllegalArgumentException invalid(String key, Object value, String why) {
        String shown = value != null && value.getClass().isArray() ? arrayToString(value) : String.valueOf(value);
        return new IllegalArgumentException(pid + ": " + key + " = '" + shown + "' is not valid: " + why);
    }

    private static String arrayToString(Object array) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < Array.getLength(array); i++) {
            parts.add(String.valueOf(Array.get(array, i)));
        }
        return String.join(",", parts);
    }
}
