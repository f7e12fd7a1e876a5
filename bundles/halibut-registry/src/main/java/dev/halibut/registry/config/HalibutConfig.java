package dev.halibut.registry.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The configuration schema of Halibut in OSGi, in one place: the Config Admin PIDs, their keys, and where
 * the runtime's key store is. The registry bundle reads these configurations; the shell commands and any
 * other bundle that writes or shows them use the same names from here, so the two cannot drift apart.
 * docs/configuration.md describes every key with its type and default; values are read with
 * {@link ConfigValues}.
 */
public final class HalibutConfig {

    /** PID of this framework's runtime (certificate, listening ports, trust, limits). */
    public static final String RUNTIME_PID = "dev.halibut.runtime";
    /** Factory PID of one imported remote service. */
    public static final String IMPORT_FACTORY_PID = "dev.halibut.import";
    /** Factory PID of one polling subscription this framework serves. */
    public static final String POLL_FACTORY_PID = "dev.halibut.poll";
    /**
     * The Remote Services configuration type of Halibut: the value of {@code service.exported.configs} that
     * asks for a Halibut export, and of {@code service.imported.configs} on the proxies it imports.
     */
    public static final String CONFIG_TYPE = "dev.halibut";

    // Keys of RUNTIME_PID.
    /** Ports to listen on (int list); none = do not listen. */
    public static final String LISTEN_PORT = "listen.port";
    /** Address to bind the listening ports to; none = all interfaces. */
    public static final String LISTEN_ADDRESS = "listen.address";
    /** PKCS#12 key store of the runtime; none = the generated one ({@link #keystore}). */
    public static final String KEYSTORE_PATH = "keystore.path";
    /** Password of {@link #KEYSTORE_PATH}; none = the content of the password file beside it, if any. */
    public static final String KEYSTORE_PASSWORD = "keystore.password";
    /** The thumbprints of the peers the runtime accepts (string list). */
    public static final String TRUSTED_THUMBPRINTS = "trusted.thumbprints";
    // The limits: the fields of dev.halibut.HalibutLimits.
    public static final String CONNECT_ATTEMPTS = "connect.attempts";
    public static final String CONNECT_RETRY_WINDOW = "connect.retry.window";
    public static final String CONNECT_TIMEOUT = "connect.timeout";
    public static final String HANDSHAKE_TIMEOUT = "handshake.timeout";
    public static final String HEARTBEAT_TIMEOUT = "heartbeat.timeout";
    public static final String HEARTBEAT_SKIP_WINDOW = "heartbeat.skip.window";
    public static final String RESPONSE_TIMEOUT = "response.timeout";
    public static final String POLLING_COLLECTION_TIMEOUT = "polling.collection.timeout";
    public static final String POLLING_KEEP_ALIVE = "polling.keep.alive";
    public static final String MAX_MESSAGE_SIZE = "max.message.size";
    public static final String POOL_MAX_IDLE_PER_ENDPOINT = "pool.max.idle.per.endpoint";
    public static final String POOL_IDLE_TIMEOUT = "pool.idle.timeout";
    public static final String SERVER_IDLE_TIMEOUT = "server.idle.timeout";
    public static final String MAX_SERVER_CONNECTIONS = "max.server.connections";
    public static final String MAX_STREAMS_PER_MESSAGE = "max.streams.per.message";
    public static final String MAX_STREAM_LENGTH_PER_MESSAGE = "max.stream.length.per.message";
    public static final String MAX_IDENTIFICATION_LINE_LENGTH = "max.identification.line.length";
    public static final String FAILED_HANDSHAKE_BURST = "failed.handshake.burst";
    public static final String FAILED_HANDSHAKE_INTERVAL = "failed.handshake.interval";
    public static final String INCOMPLETE_MESSAGE_BUDGET = "incomplete.message.budget";
    public static final String WRITE_TIMEOUT = "write.timeout";
    /** The TLS implementation: {@code jdk} (default) or {@code openssl} (needs netty-tcnative-boringssl-static). */
    public static final String TLS_PROVIDER = "tls.provider";

    // Keys of RUNTIME_PID (the runtime's proxy) and POLL_FACTORY_PID (the subscription's own, over the runtime's).
    /** The HTTP proxy's host for outgoing connections (HTTP CONNECT); absent: none ({@link #PROXY_HOST_NONE}: none, also on a poll configuration whose runtime has one). */
    public static final String PROXY_HOST = "proxy.host";
    /** The value of {@link #PROXY_HOST} that means "connect directly". */
    public static final String PROXY_HOST_NONE = "none";
    /** The HTTP proxy's port (required with {@link #PROXY_HOST}). */
    public static final String PROXY_PORT = "proxy.port";
    /** The user for the proxy's Basic authentication (optional). */
    public static final String PROXY_USERNAME = "proxy.username";
    /** The password that goes with {@link #PROXY_USERNAME}. */
    public static final String PROXY_PASSWORD = "proxy.password";
    /** Targets reached directly (list): {@code *}, host names (and their subdomains), IP addresses, CIDR blocks. */
    public static final String PROXY_NO_PROXY = "proxy.no.proxy";

    // Keys of IMPORT_FACTORY_PID and POLL_FACTORY_PID.
    /** Import: where the remote service is ({@code https://} or {@code poll://}). Poll: the listener to poll. */
    public static final String ENDPOINT = "endpoint";
    /** Import and poll: the thumbprint the peer at {@link #ENDPOINT} must present. */
    public static final String THUMBPRINT = "thumbprint";
    /** Import: the contract interfaces (string list). */
    public static final String INTERFACES = "interfaces";
    /** Import: selects the remote export with this {@code endpoint.id}. */
    public static final String ENDPOINT_ID = "endpoint.id";
    /** Import: selects the remote export whose properties match this LDAP filter. */
    public static final String FILTER = "filter";
    /** Poll: the {@code poll://} URI callers address this framework by. */
    public static final String SUBSCRIPTION = "subscription";
    /** Poll: parallel polling connections. */
    public static final String CONNECTIONS = "connections";

    // Properties of the HalibutRuntime service the registry registers for RUNTIME_PID.
    /** The runtime's certificate thumbprint (String), e.g. to wait for a runtime with a new certificate. */
    public static final String THUMBPRINT_PROPERTY = "halibut.thumbprint";
    /** The ports the runtime's listeners are bound to (Integer[]): with {@code listen.port = 0}, the actual ones. */
    public static final String LISTEN_PORTS_PROPERTY = "halibut.listen.ports";

    /** File name of the key store generated when {@link #KEYSTORE_PATH} is not set. */
    public static final String GENERATED_KEYSTORE_FILE = "halibut.p12";
    /**
     * Appended to a key store's path to name its password file: the generated key store's password, and
     * the one used for {@link #KEYSTORE_PATH} when {@link #KEYSTORE_PASSWORD} is not set.
     */
    public static final String PASSWORD_FILE_SUFFIX = ".password";

    private HalibutConfig() {
    }

    /**
     * Where the generated key store lives in Karaf: {@code ${karaf.data}/halibut}; null outside Karaf (the
     * registry then uses its bundle's data area).
     */
    public static Path generatedKeystoreDirectory() {
        String data = System.getProperty("karaf.data");
        return data == null || data.isBlank() ? null : Path.of(data, "halibut");
    }

    /**
     * The runtime's key store given the properties of {@link #RUNTIME_PID}: {@link #KEYSTORE_PATH}, or the
     * generated one; null when neither is known.
     *
     * @throws IllegalArgumentException when {@link #KEYSTORE_PATH} is not a single value (naming PID, key and value)
     */
    public static Path keystore(Map<String, ?> runtimeProperties) {
        String configured = new ConfigValues(RUNTIME_PID, runtimeProperties).string(KEYSTORE_PATH);
        if (configured != null) {
            return Path.of(configured);
        }
        Path directory = generatedKeystoreDirectory();
        return directory == null ? null : directory.resolve(GENERATED_KEYSTORE_FILE);
    }

    /** The password file that belongs to a key store: {@code <keystore>}{@value #PASSWORD_FILE_SUFFIX}. */
    public static Path passwordFile(Path keystore) {
        return Path.of(keystore + PASSWORD_FILE_SUFFIX);
    }
}
