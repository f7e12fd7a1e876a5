package dev.halibut.registry.internal;

import dev.halibut.registry.config.HalibutConfig;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype description of PID {@code dev.halibut.runtime}, for configuration tools (the Web Console,
 * {@code config:} commands). The component reads the raw dictionary through {@link RuntimeSettings},
 * which also accepts comma-separated strings and unit suffixes from {@code .cfg} files.
 */
@ObjectClassDefinition(id = HalibutConfig.RUNTIME_PID, name = "Halibut runtime",
        description = "This framework's Halibut runtime: its certificate, listening ports, trusted peers and limits.")
@interface RuntimeConfiguration {
    @AttributeDefinition(name = "Listen ports", required = false,
            description = "Ports to accept connections on; none = do not listen; 0 = any free port.")
    int[] listen_port();

    @AttributeDefinition(name = "Listen address", required = false,
            description = "Address to bind the listening ports to; empty = all interfaces.")
    String listen_address();

    @AttributeDefinition(name = "Key store", required = false,
            description = "PKCS#12 file with this runtime's certificate and key; empty = a generated self-signed one.")
    String keystore_path();

    @AttributeDefinition(name = "Key store password", type = AttributeType.PASSWORD, required = false)
    String keystore_password();

    @AttributeDefinition(name = "Trusted thumbprints", required = false,
            description = "SHA-1 thumbprints (40 hex characters) of the peers this runtime accepts.")
    String[] trusted_thumbprints();

    @AttributeDefinition(required = false, description = "Connection attempts before a call fails (default 5).")
    int connect_attempts();

    @AttributeDefinition(required = false, description = "No new connection attempt starts after this (default 30s).")
    String connect_retry_window();

    @AttributeDefinition(required = false, description = "TCP connect timeout (default 10s).")
    String connect_timeout();

    @AttributeDefinition(required = false, description = "TLS handshake and identification timeout (default 20s).")
    String handshake_timeout();

    @AttributeDefinition(required = false, description = "Liveness check of a reused connection (default 10s).")
    String heartbeat_timeout();

    @AttributeDefinition(required = false, description = "A reused connection heard from within this, and open and"
            + " quiet, skips the liveness check; 0 = always check (default 1s).")
    String heartbeat_skip_window();

    @AttributeDefinition(required = false, description = "The longest a call may run (default 10m).")
    String response_timeout();

    @AttributeDefinition(required = false, description = "A polling endpoint must collect a request within this (default 30s).")
    String polling_collection_timeout();

    @AttributeDefinition(required = false, description = "An idle polling connection is checked this often (default 30s).")
    String polling_keep_alive();

    @AttributeDefinition(required = false, description = "Largest message accepted from a peer (default 16MiB).")
    String max_message_size();

    @AttributeDefinition(required = false, description = "Memory the messages still being received may hold in all,"
            + " over all connections; never less than max.message.size (default 64MiB).")
    String incomplete_message_budget();

    @AttributeDefinition(required = false, description = "How long a write may wait while the peer reads nothing;"
            + " then it fails and the connection is closed (default 60s).")
    String write_timeout();

    @AttributeDefinition(required = false, description = "TLS implementation: jdk (the JVM's, default) or openssl"
            + " (BoringSSL through Netty; needs the netty-tcnative-boringssl-static bundle for this platform).")
    String tls_provider();

    @AttributeDefinition(required = false, description = "Idle pooled connections kept per endpoint (default 64).")
    int pool_max_idle_per_endpoint();

    @AttributeDefinition(required = false, description = "Pooled connections idle longer are closed (default 2m).")
    String pool_idle_timeout();

    @AttributeDefinition(required = false, description = "Server connections idle longer are closed (default 10m).")
    String server_idle_timeout();

    @AttributeDefinition(required = false, description = "Concurrent inbound connections (default 1000).")
    int max_server_connections();
}
