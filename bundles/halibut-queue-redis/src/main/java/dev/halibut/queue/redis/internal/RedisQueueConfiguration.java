package dev.halibut.queue.redis.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype description of PID {@code dev.halibut.queue.redis}, for configuration tools. The component reads
 * the raw dictionary through {@link RedisQueueProperties}, which also takes unit suffixes from {@code .cfg} files.
 */
@ObjectClassDefinition(id = RedisQueueProperties.PID, name = "Halibut pending-request queue on Redis",
        description = "When present, the Halibut runtime keeps its polling queue in this Redis, shared with every"
                + " other node configured with the same Redis.")
@interface RedisQueueConfiguration {
    @AttributeDefinition(description = "redis://[:password@]host:port[/db], or rediss:// for TLS.")
    String uri();

    @AttributeDefinition(type = AttributeType.PASSWORD, required = false,
            description = "Redis password (AUTH); wins over one in the URI.")
    String password();

    @AttributeDefinition(required = false, description = "Connect and read timeout of one Redis command (default 5s).")
    String command_timeout();

    @AttributeDefinition(required = false, description = "How often this node refreshes its heartbeat (default 1s).")
    String heartbeat_interval();

    @AttributeDefinition(required = false, description = "A node silent this long is dead; its queued requests are"
            + " withdrawn and calls waiting on requests it collected fail (default 5s; at least twice heartbeat.interval).")
    String node_timeout();

    @AttributeDefinition(required = false, description = "Most stream bytes per message through Redis (default 256MiB).")
    String max_stream_bytes();

    @AttributeDefinition(required = false, description = "Streams go through Redis in chunks of this size (default 64KiB).")
    String stream_chunk_size();

    @AttributeDefinition(required = false, description = "How long a response's streams stay in Redis (default 10m).")
    String stream_expiry();

    @AttributeDefinition(required = false, description = "Most Redis connections of this node (default 256).")
    int max_connections();

    @AttributeDefinition(required = false, description = "Prefix of the queue's Redis keys (default halibut:).")
    String key_prefix();

    @AttributeDefinition(required = false, description = "For rediss://: the CAs that may issue the Redis server's"
            + " certificate, as a PEM file or a PKCS#12 / JKS trust store (default: the JVM's trust store). The host"
            + " name is always verified.")
    String tls_trust();

    @AttributeDefinition(type = AttributeType.PASSWORD, required = false,
            description = "Password of the tls.trust store, if it is a PKCS#12 / JKS store with one.")
    String tls_trust_password();

    @AttributeDefinition(required = false, description = "For rediss:// to a Redis with tls-auth-clients yes: a"
            + " PKCS#12 / JKS key store with this node's client certificate and key.")
    String tls_client_keystore();

    @AttributeDefinition(type = AttributeType.PASSWORD, required = false,
            description = "Password of the tls.client.keystore (and its key).")
    String tls_client_keystore_password();
}
