package dev.halibut.queue.redis.internal;

import dev.halibut.queue.redis.RedisTlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS side of a {@code rediss://} connection, built once from {@link RedisTlsSettings}: the socket factory
 * (trust anchors, client certificate) and the parameters that switch on host name verification. Jedis 8 verifies
 * the host name by default only when given no parameters; {@link #parameters()} asks for it explicitly so it
 * never depends on the client library's default.
 */
final class RedisTlsContext {

    private final SSLSocketFactory socketFactory;

    private RedisTlsContext(SSLSocketFactory socketFactory) {
        this.socketFactory = socketFactory;
    }

    /**
     * Loads the files named in {@code settings}.
     *
     * @throws IllegalArgumentException a file cannot be read or holds no usable certificate or key; the message
     *                                  names the file and the setting
     */
    static RedisTlsContext load(RedisTlsSettings settings) {
        if (settings.isJvmDefault()) {
            return new RedisTlsContext((SSLSocketFactory) SSLSocketFactory.getDefault());
        }
        try {
            TrustManager[] trust = null; // null: the JVM's default trust managers
            if (settings.trustFile() != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trustStore(settings.trustFile(), settings.trustPassword()));
                trust = tmf.getTrustManagers();
            }
            KeyManager[] keys = null;
            if (settings.clientKeyStore() != null) {
                char[] password = chars(settings.clientKeyStorePassword());
                KeyStore store = keyStore(settings.clientKeyStore(), password, "client key store");
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                try {
                    kmf.init(store, password);
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException("Cannot read the private key in the Redis TLS client key store "
                            + settings.clientKeyStore() + ": " + e.getMessage() + " (check its password)", e);
                }
                keys = kmf.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return new RedisTlsContext(context.getSocketFactory());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot set up TLS for Redis with " + settings + ": " + e.getMessage(), e);
        }
    }

    SSLSocketFactory socketFactory() {
        return socketFactory;
    }

    /** Applied by Jedis to every TLS socket: verify the server's host name as HTTPS does (IP literals against IP SANs). */
    SSLParameters parameters() {
        SSLParameters p = new SSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        return p;
    }

    /** A PEM file of certificates, or a PKCS#12 / JKS store (the type is detected from the content). */
    private static KeyStore trustStore(Path file, String password) throws GeneralSecurityException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the Redis TLS trust file " + file + ": " + e, e);
        }
        if (!new String(content, 0, Math.min(content.length, 4096), StandardCharsets.US_ASCII).contains("-----BEGIN")) {
            return keyStore(file, chars(password), "trust store");
        }
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(file)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("The Redis TLS trust file " + file + " is not a PEM file of certificates: "
                    + e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("The Redis TLS trust file " + file + " holds no certificate");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create an empty key store", e);
        }
        int i = 0;
        for (Certificate c : certificates) {
            store.setCertificateEntry("redis-trust-" + i++, c);
        }
        return store;
    }

    private static KeyStore keyStore(Path file, char[] password, String what) {
        try {
            return KeyStore.getInstance(file.toFile(), password);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot open the Redis TLS " + what + " " + file + " (PKCS#12 or JKS): "
                    + e.getMessage() + " (check the file and its password)", e);
        }
    }

    private static char[] chars(String password) {
        return password == null ? null : password.toCharArray();
    }
}
