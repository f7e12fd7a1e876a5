package dev.halibut.registry.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.Thumbprints;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration of PID {@value #PID}, parsed and checked. Two settings that differ only in their
 * trusted thumbprints can be applied to a running runtime; any other difference needs a new one.
 */
record RuntimeSettings(List<Integer> ports, String listenAddress, Path keystorePath, char[] keystorePassword,
                       Set<String> trusted, HalibutLimits limits) {

    static final String PID = "dev.halibut.runtime";

    static final String LISTEN_PORT = "listen.port";
    static final String LISTEN_ADDRESS = "listen.address";
    static final String KEYSTORE_PATH = "keystore.path";
    static final String KEYSTORE_PASSWORD = "keystore.password";
    static final String TRUSTED_THUMBPRINTS = "trusted.thumbprints";

    RuntimeSettings {
        ports = List.copyOf(ports);
        trusted = Set.copyOf(trusted);
        Objects.requireNonNull(limits, "limits");
        // null: not configured (the password file beside the key store, if any, is used)
        keystorePassword = keystorePassword == null ? null : keystorePassword.clone();
    }

    static RuntimeSettings parse(Map<String, ?> properties) {
        ConfigValues c = new ConfigValues(PID, properties);
        String keystore = c.string(KEYSTORE_PATH);
        String password = c.string(KEYSTORE_PASSWORD);
        if (keystore == null && password != null) {
            throw new IllegalArgumentException(PID + ": " + KEYSTORE_PASSWORD + " is set but " + KEYSTORE_PATH
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
                trusted, limits(c));
    }

    private static HalibutLimits limits(ConfigValues c) {
        HalibutLimits d = HalibutLimits.defaults();
        try {
            return new HalibutLimits(
                    c.integer("connect.attempts", d.connectAttempts(), 1),
                    c.duration("connect.retry.window", d.connectRetryWindow()),
                    c.duration("connect.timeout", d.connectTimeout()),
                    c.duration("handshake.timeout", d.handshakeTimeout()),
                    c.duration("heartbeat.timeout", d.heartbeatTimeout()),
                    c.duration("response.timeout", d.responseTimeout()),
                    c.duration("polling.collection.timeout", d.pollingCollectionTimeout()),
                    c.duration("polling.keep.alive", d.pollingKeepAlive()),
                    c.size("max.message.size", d.maxMessageSize()),
                    c.integer("pool.max.idle.per.endpoint", d.poolMaxIdlePerEndpoint(), 0),
                    c.duration("pool.idle.timeout", d.poolIdleTimeout()),
                    c.duration("server.idle.timeout", d.serverIdleTimeout()),
                    c.integer("max.server.connections", d.maxServerConnections(), 1),
                    c.integer("max.streams.per.message", d.maxStreamsPerMessage(), 0),
                    c.longSize("max.stream.length.per.message", d.maxStreamLengthPerMessage()),
                    c.integer("max.identification.line.length", d.maxIdentificationLineLength(), 64),
                    c.integer("failed.handshake.burst", d.failedHandshakeBurst(), 1),
                    c.duration("failed.handshake.interval", d.failedHandshakeInterval()),
                    c.durationOrZero("heartbeat.skip.window", d.heartbeatSkipWindow()));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(PID)) {
                throw e;
            }
            throw new IllegalArgumentException(PID + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code other} can be applied to a runtime built from this by changing its trust alone. */
    boolean sameExceptTrust(RuntimeSettings other) {
        return ports.equals(other.ports) && Objects.equals(listenAddress, other.listenAddress)
                && Objects.equals(keystorePath, other.keystorePath)
                && Arrays.equals(keystorePassword, other.keystorePassword) && limits.equals(other.limits);
    }

    @Override
    public String toString() {
        // Never the password: this ends up in logs.
        return "RuntimeSettings[ports=" + ports + ", listenAddress=" + listenAddress + ", keystore="
                + (keystorePath == null ? "generated" : keystorePath) + ", trusted=" + trusted.size()
                + " thumbprint(s), limits=" + limits + "]";
    }

    // The record's generated equals/hashCode would compare the password array by identity.
    @Override
    public boolean equals(Object o) {
        return o instanceof RuntimeSettings other && sameExceptTrust(other) && trusted.equals(other.trusted);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ports, listenAddress, keystorePath, Arrays.hashCode(keystorePassword), trusted, limits);
    }
}
