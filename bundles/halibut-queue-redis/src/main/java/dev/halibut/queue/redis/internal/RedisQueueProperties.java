package dev.halibut.queue.redis.internal;

import dev.halibut.queue.redis.RedisQueueSettings;
import dev.halibut.queue.redis.RedisTlsSettings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PID {@code dev.halibut.queue.redis} read into a Redis URI and {@link RedisQueueSettings}. Durations take a
 * unit ({@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}), sizes a binary suffix ({@code 64KiB},
 * {@code 256MiB}), as in the runtime's own configuration. Every error names the key and the value.
 */
public record RedisQueueProperties(URI uri, RedisQueueSettings settings) {

    public static final String PID = "dev.halibut.queue.redis";

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|KiB|MiB|GiB)");

    public static RedisQueueProperties parse(Map<String, ?> properties) {
        Object rawUri = properties.get("uri");
        if (rawUri == null || rawUri.toString().isBlank()) {
            throw new IllegalArgumentException("uri is missing: set uri = redis://host:6379 (or rediss:// for TLS)");
        }
        URI uri;
        try {
            uri = URI.create(rawUri.toString().trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("uri '" + rawUri + "' is not a URI: " + e.getMessage());
        }
        RedisQueueSettings s = RedisQueueSettings.defaults();
        Object password = properties.get("password");
        if (password != null && !password.toString().isEmpty()) {
            s = s.withPassword(password.toString());
        }
        s = s.withCommandTimeout(duration(properties, "command.timeout", s.commandTimeout()));
        s = s.withHeartbeat(duration(properties, "heartbeat.interval", s.heartbeatInterval()),
                duration(properties, "node.timeout", s.nodeTimeout()));
        s = s.withMaxStreamBytes(size(properties, "max.stream.bytes", s.maxStreamBytes()));
        s = s.withStreamChunkSize((int) Math.min(Integer.MAX_VALUE, size(properties, "stream.chunk.size", s.streamChunkSize())));
        s = s.withStreamExpiry(duration(properties, "stream.expiry", s.streamExpiry()));
        Object connections = properties.get("max.connections");
        if (connections != null) {
            try {
                s = s.withMaxConnections(Integer.parseInt(connections.toString().trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("max.connections '" + connections + "' is not a whole number");
            }
        }
        Object prefix = properties.get("key.prefix");
        if (prefix != null && !prefix.toString().isBlank()) {
            s = s.withKeyPrefix(prefix.toString().trim());
        }
        RedisTlsSettings tls = tls(properties);
        if (!tls.isJvmDefault() && !"rediss".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("tls.trust / tls.client.keystore are set but uri " + RedisStore.redact(uri)
                    + " is not TLS: use rediss:// or remove the tls.* keys");
        }
        return new RedisQueueProperties(uri, s.withTls(tls));
    }

    /** {@code tls.trust[.password]} and {@code tls.client.keystore[.password]}; blank means not set. */
    private static RedisTlsSettings tls(Map<String, ?> properties) {
        String trust = text(properties, "tls.trust");
        String trustPassword = text(properties, "tls.trust.password");
        String keyStore = text(properties, "tls.client.keystore");
        String keyStorePassword = text(properties, "tls.client.keystore.password");
        if (trust == null && trustPassword != null) {
            throw new IllegalArgumentException("tls.trust.password is set but tls.trust is not: set tls.trust to the trust store's path");
        }
        if (keyStore == null && keyStorePassword != null) {
            throw new IllegalArgumentException("tls.client.keystore.password is set but tls.client.keystore is not:"
                    + " set tls.client.keystore to the PKCS#12 / JKS file with the client certificate");
        }
        return new RedisTlsSettings(path("tls.trust", trust), trustPassword, path("tls.client.keystore", keyStore),
                keyStorePassword);
    }

    private static String text(Map<String, ?> properties, String key) {
        Object v = properties.get(key);
        return v == null || v.toString().isBlank() ? null : v.toString().trim();
    }

    private static Path path(String key, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(key + " '" + value + "' is not a file path: " + e.getMessage());
        }
    }

    private static Duration duration(Map<String, ?> properties, String key, Duration fallback) {
        Object v = properties.get(key);
        if (v == null || v.toString().isBlank()) {
            return fallback;
        }
        if (v instanceof Number n) {
            return Duration.ofMillis(n.longValue());
        }
        Matcher m = DURATION.matcher(v.toString().trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + " '" + v + "' is not a duration: use a number and a unit, e.g. 500ms, 5s, 2m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private static long size(Map<String, ?> properties, String key, long fallback) {
        Object v = properties.get(key);
        if (v == null || v.toString().isBlank()) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        Matcher m = SIZE.matcher(v.toString().trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + " '" + v + "' is not a size: use bytes or KiB, MiB, GiB, e.g. 256MiB");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "KIB" -> n * 1024;
            case "MIB" -> n * 1024 * 1024;
            case "GIB" -> n * 1024 * 1024 * 1024;
            default -> n;
        };
    }
}
