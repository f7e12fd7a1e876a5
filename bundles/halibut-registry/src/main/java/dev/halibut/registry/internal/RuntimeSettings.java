package dev.halibut.registry.internal;

import static dev.halibut.registry.config.HalibutConfig.*;

import dev.halibut.HalibutLimits;
import dev.halibut.Thumbprints;
import dev.halibut.registry.config.ConfigValues;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration of PID {@code dev.halibut.runtime}, parsed and checked. Two settings that differ only in their
 * trusted thumbprints can be applied to a running runtime; any other difference needs a new one.
 */
record RuntimeSettings(List<Integer> ports, String listenAddress, Path keystorePath, char[] keystorePassword,
                       Set<String> trusted, HalibutLimits limits, dev.halibut.HttpProxy proxy,
                       String tlsProvider) {

    RuntimeSettings {
        ports = List.copyOf(ports);
        Objects.requireNonNull(tlsProvider, "tlsProvider");
        trusted = Set.copyOf(trusted);
        Objects.requireNonNull(limits, "limits");
        // null: not configured (the password file beside the key store, if any, is used)
        keystorePassword = keystorePassword == null ? null : keystorePassword.clone();
    }

    static RuntimeSettings parse(Map<String, ?> properties) {
        ConfigValues c = new ConfigValues(RUNTIME_PID, properties);
        String keystore = c.string(KEYSTORE_PATH);
        String password = c.string(KEYSTORE_PASSWORD);
        if (keystore == null && password != null) {
            throw new IllegalArgumentException(RUNTIME_PID + ": " + KEYSTORE_PASSWORD + " is set but " + KEYSTORE_PATH
                    + " is not; set both, or neither to use the generated certificate");
        }
        Set<String> trusted = new LinkedHashSet<>();
        for (String t : c.strings(TRUSTED_THUMBPRINTS)) {
            try {
                trusted.add(Thumbprints.normalize(t));
            } catch (IllegalArgumentException e) {
                throw c.invalid(TRUSTED_THUMBPRINTS, t, e.getMessage());
            }
        }
        return new RuntimeSettings(c.ports(LISTEN_PORT), c.string(LISTEN_ADDRESS),
                keystore == null ? null : Path.of(keystore), password == null ? null : password.toCharArray(),
                trusted, limits(c), ProxySettings.parse(c), tlsProvider(c));
    }

    /** {@code jdk} (default) or {@code openssl}, in lower case. */
    private static String tlsProvider(ConfigValues c) {
        String p = c.string(TLS_PROVIDER);
        if (p == null) {
            return "jdk";
        }
        String v = p.trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("jdk") && !v.equals("openssl")) {
            throw c.invalid(TLS_PROVIDER, p, "use jdk or openssl");
        }
        return v;
    }

    private static HalibutLimits limits(ConfigValues c) {
        HalibutLimits d = HalibutLimits.defaults();
        try {
            return new HalibutLimits(
                    c.integer(CONNECT_ATTEMPTS, d.connectAttempts(), 1),
                    c.duration(CONNECT_RETRY_WINDOW, d.connectRetryWindow()),
                    c.duration(CONNECT_TIMEOUT, d.connectTimeout()),
                    c.duration(HANDSHAKE_TIMEOUT, d.handshakeTimeout()),
                    c.duration(HEARTBEAT_TIMEOUT, d.heartbeatTimeout()),
                    c.duration(RESPONSE_TIMEOUT, d.responseTimeout()),
                    c.duration(POLLING_COLLECTION_TIMEOUT, d.pollingCollectionTimeout()),
                    c.duration(POLLING_KEEP_ALIVE, d.pollingKeepAlive()),
                    c.size(MAX_MESSAGE_SIZE, d.maxMessageSize()),
                    c.integer(POOL_MAX_IDLE_PER_ENDPOINT, d.poolMaxIdlePerEndpoint(), 0),
                    c.duration(POOL_IDLE_TIMEOUT, d.poolIdleTimeout()),
                    c.duration(SERVER_IDLE_TIMEOUT, d.serverIdleTimeout()),
                    c.integer(MAX_SERVER_CONNECTIONS, d.maxServerConnections(), 1),
                    c.integer(MAX_STREAMS_PER_MESSAGE, d.maxStreamsPerMessage(), 0),
                    c.longSize(MAX_STREAM_LENGTH_PER_MESSAGE, d.maxStreamLengthPerMessage()),
                    c.integer(MAX_IDENTIFICATION_LINE_LENGTH, d.maxIdentificationLineLength(), 64),
                    c.integer(FAILED_HANDSHAKE_BURST, d.failedHandshakeBurst(), 1),
                    c.duration(FAILED_HANDSHAKE_INTERVAL, d.failedHandshakeInterval()),
                    c.durationOrZero(HEARTBEAT_SKIP_WINDOW, d.heartbeatSkipWindow()),
                    c.longSize(INCOMPLETE_MESSAGE_BUDGET, d.incompleteMessageBudget()),
                    c.duration(WRITE_TIMEOUT, d.writeTimeout()));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(RUNTIME_PID)) {
                throw e;
            }
            throw new IllegalArgumentException(RUNTIME_PID + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code other} can be applied to a runtime built from this by changing its trust alone. */
    boolean sameExceptTrust(RuntimeSettings other) {
        return ports.equals(other.ports) && Objects.equals(listenAddress, other.listenAddress)
                && Objects.equals(keystorePath, other.keystorePath)
                && Arrays.equals(keystorePassword, other.keystorePassword) && limits.equals(other.limits)
                && Objects.equals(proxy, other.proxy)
                && tlsProvider.equals(other.tlsProvider);
    }

    @Override
    public String toString() {
        // Never the password: this ends up in logs.
        return "RuntimeSettings[ports=" + ports + ", listenAddress=" + listenAddress + ", keystore="
                + (keystorePath == null ? "generated" : keystorePath) + ", trusted=" + trusted.size()
                + " thumbprint(s), limits=" + limits + (proxy == null ? "" : ", proxy=" + proxy)
                + ", tlsProvider=" + tlsProvider + "]";
    }

    // The record's generated equals/hashCode would compare the password array by identity.
    @Override
    public boolean equals(Object o) {
        return o instanceof RuntimeSettings other && sameExceptTrust(other) && trusted.equals(other.trusted);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ports, listenAddress, keystorePath, Arrays.hashCode(keystorePassword), trusted, limits, proxy,
                tlsProvider);
    }
}
