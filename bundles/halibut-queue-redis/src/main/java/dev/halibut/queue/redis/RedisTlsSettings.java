package dev.halibut.queue.redis;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Whom a {@code rediss://} connection trusts, and which client certificate it presents. The server's
 * certificate is always verified, including its host name (a subject alternative name must match the URI's
 * host); only the trust anchors are chosen here.
 *
 * @param trustFile          the certificates that may issue the Redis server's certificate: a PEM file of one or
 *                           more CA (or self-signed server) certificates, or a PKCS#12 / JKS trust store;
 *                           {@code null} for the JVM's default trust store
 * @param trustPassword      the trust store's password, if it is a PKCS#12 / JKS store that has one; not used for PEM
 * @param clientKeyStore     a PKCS#12 / JKS key store with this node's client certificate and private key, for a
 *                           Redis with {@code tls-auth-clients yes}; {@code null} for none
 * @param clientKeyStorePassword the key store's password (also the key's)
 */
public record RedisTlsSettings(Path trustFile, String trustPassword, Path clientKeyStore, String clientKeyStorePassword) {

    public RedisTlsSettings {
        if (clientKeyStore == null && clientKeyStorePassword != null) {
            throw new IllegalArgumentException("a client key store password was given without a client key store");
        }
        if (trustFile == null && trustPassword != null) {
            throw new IllegalArgumentException("a trust store password was given without a trust file");
        }
    }

    /** The JVM's default trust store, no client certificate. */
    public static RedisTlsSettings jvmDefaults() {
        return new RedisTlsSettings(null, null, null, null);
    }

    /** Trusts the certificates in {@code pemOrStore} (a PEM file, or a PKCS#12 / JKS store without password). */
    public static RedisTlsSettings trusting(Path pemOrStore) {
        return new RedisTlsSettings(Objects.requireNonNull(pemOrStore, "pemOrStore"), null, null, null);
    }

    /** Trusts the certificates in the PKCS#12 / JKS trust store {@code store}, opened with {@code password}. */
    public static RedisTlsSettings trusting(Path store, String password) {
        return new RedisTlsSettings(Objects.requireNonNull(store, "store"), password, null, null);
    }

    /** These settings, presenting the client certificate and key in the PKCS#12 / JKS {@code keyStore}. */
    public RedisTlsSettings withClientCertificate(Path keyStore, String password) {
        return new RedisTlsSettings(trustFile, trustPassword, Objects.requireNonNull(keyStore, "keyStore"), password);
    }

    /** Whether these are the JVM's defaults (nothing to load). */
    public boolean isJvmDefault() {
        return trustFile == null && clientKeyStore == null;
    }

    /** Never shows the passwords. */
    @Override
    public String toString() {
        return "RedisTlsSettings[trust=" + (trustFile == null ? "JVM default" : trustFile)
                + ", clientKeyStore=" + (clientKeyStore == null ? "none" : clientKeyStore) + "]";
    }
}
