package dev.halibut.queue.redis;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a {@link RedisPendingRequestQueue} talks to Redis and when it gives up on a node. Start from
 * {@link #defaults()} and change what you need with the {@code with...} methods.
 *
 * @param password          the Redis password ({@code AUTH}); {@code null} to use the URI's, if any
 * @param commandTimeout    connect and read timeout of one Redis command; an unreachable Redis fails a call
 *                          after about this long
 * @param heartbeatInterval how often a node refreshes its heartbeat in Redis, and how often a waiting caller
 *                          looks at its request (deadlines, the collecting node's heartbeat)
 * @param nodeTimeout       how long a node's heartbeat lives: a node silent this long is dead. Its queued
 *                          requests are then never handed out, and callers waiting on requests it collected
 *                          fail within {@code nodeTimeout + heartbeatInterval}
 * @param maxStreamBytes    the most stream bytes one message (request or response) may carry through Redis
 * @param streamChunkSize   streams go through Redis in chunks of this many bytes
 * @param streamExpiry      how long a response's streams stay in Redis for the caller to read (and a
 *                          request's streams beyond its collection timeout)
 * @param maxConnections    the most Redis connections this node opens (at least 4): its three threads hold one
 *                          each while they wait, callers and collecting one per command (collecting for waiting
 *                          polling service hosts at most a quarter of them, and at most 8, at once); a polling
 *                          service host waiting for work holds none
 * @param keyPrefix         prefix of every Redis key this queue uses; nodes sharing a queue use the same
 * @param tls               for {@code rediss://}: the trust anchors for the server's certificate and an optional
 *                          client certificate; the server's host name is always verified
 */
public record RedisQueueSettings(String password, Duration commandTimeout, Duration heartbeatInterval,
                                 Duration nodeTimeout, long maxStreamBytes, int streamChunkSize, Duration streamExpiry,
                                 int maxConnections, String keyPrefix, RedisTlsSettings tls) {

    public RedisQueueSettings {
        positive(commandTimeout, "commandTimeout");
        positive(heartbeatInterval, "heartbeatInterval");
        positive(nodeTimeout, "nodeTimeout");
        positive(streamExpiry, "streamExpiry");
        if (nodeTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("nodeTimeout (" + nodeTimeout + ") must be at least twice the heartbeatInterval ("
                    + heartbeatInterval + "), or a busy node would be taken for dead");
        }
        if (maxStreamBytes < 0) {
            throw new IllegalArgumentException("maxStreamBytes cannot be negative: " + maxStreamBytes);
        }
        if (streamChunkSize < 1024 || streamChunkSize > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("streamChunkSize must be between 1 KiB and 16 MiB, was " + streamChunkSize);
        }
        if (maxConnections < 4) {
            throw new IllegalArgumentException("maxConnections must be at least 4, was " + maxConnections);
        }
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(tls, "tls");
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    /**
     * No password beyond the URI's; 5 s command timeout; heartbeat every 1 s, node dead after 5 s; at most
     * 256 MiB of streams per message in 64 KiB chunks kept 10 minutes; 256 connections; keys under
     * {@code halibut:}; TLS trusts the JVM's default trust store and presents no client certificate.
     */
    public static RedisQueueSettings defaults() {
        return new RedisQueueSettings(null, Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(5),
                256L * 1024 * 1024, 64 * 1024, Duration.ofMinutes(10), 256, "halibut:", RedisTlsSettings.jvmDefaults());
    }

    public RedisQueueSettings withPassword(String password) {
        return with(c -> c.password = password);
    }

    public RedisQueueSettings withCommandTimeout(Duration commandTimeout) {
        return with(c -> c.commandTimeout = commandTimeout);
    }

    /** Sets both: how often a node beats, and how long without a beat means dead. */
    public RedisQueueSettings withHeartbeat(Duration heartbeatInterval, Duration nodeTimeout) {
        return with(c -> {
            c.heartbeatInterval = heartbeatInterval;
            c.nodeTimeout = nodeTimeout;
        });
    }

    public RedisQueueSettings withMaxStreamBytes(long maxStreamBytes) {
        return with(c -> c.maxStreamBytes = maxStreamBytes);
    }

    public RedisQueueSettings withStreamChunkSize(int streamChunkSize) {
        return with(c -> c.streamChunkSize = streamChunkSize);
    }

    public RedisQueueSettings withStreamExpiry(Duration streamExpiry) {
        return with(c -> c.streamExpiry = streamExpiry);
    }

    public RedisQueueSettings withMaxConnections(int maxConnections) {
        return with(c -> c.maxConnections = maxConnections);
    }

    public RedisQueueSettings withKeyPrefix(String keyPrefix) {
        return with(c -> c.keyPrefix = keyPrefix);
    }

    /**
     * Sets whom {@code rediss://} trusts and the client certificate it presents. Only for a {@code rediss://}
     * URI: connecting to {@code redis://} with anything but {@link RedisTlsSettings#jvmDefaults()} is refused.
     */
    public RedisQueueSettings withTls(RedisTlsSettings tls) {
        return with(c -> c.tls = tls);
    }

    /** A copy with {@code change} applied, checked by the canonical constructor like any settings. */
    private RedisQueueSettings with(Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return new RedisQueueSettings(c.password, c.commandTimeout, c.heartbeatInterval, c.nodeTimeout, c.maxStreamBytes,
                c.streamChunkSize, c.streamExpiry, c.maxConnections, c.keyPrefix, c.tls);
    }

    /** The components of settings being changed by one {@code with...} method: the one place that lists them all. */
    private static final class Copy {
        String password;
        Duration commandTimeout;
        Duration heartbeatInterval;
        Duration nodeTimeout;
        long maxStreamBytes;
        int streamChunkSize;
        Duration streamExpiry;
        int maxConnections;
        String keyPrefix;
        RedisTlsSettings tls;

        Copy(RedisQueueSettings s) {
            password = s.password;
            commandTimeout = s.commandTimeout;
            heartbeatInterval = s.heartbeatInterval;
            nodeTimeout = s.nodeTimeout;
            maxStreamBytes = s.maxStreamBytes;
            streamChunkSize = s.streamChunkSize;
            streamExpiry = s.streamExpiry;
            maxConnections = s.maxConnections;
            keyPrefix = s.keyPrefix;
            tls = s.tls;
        }
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "RedisQueueSettings[password=" + (password == null ? "none" : "***") + ", commandTimeout=" + commandTimeout
                + ", heartbeatInterval=" + heartbeatInterval + ", nodeTimeout=" + nodeTimeout + ", maxStreamBytes="
                + maxStreamBytes + ", streamChunkSize=" + streamChunkSize + ", streamExpiry=" + streamExpiry
                + ", maxConnections=" + maxConnections + ", keyPrefix=" + keyPrefix + ", tls=" + tls + "]";
    }
}
