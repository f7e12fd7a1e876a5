package dev.halibut.transport;

import dev.halibut.Thumbprints;
import dev.halibut.transport.internal.ThumbprintTrustManagers;
import dev.halibut.transport.internal.TlsProvider;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * Builds the JSSE contexts for one identity (certificate and key): one for listening, trusting a
 * {@link ThumbprintTrust}, and one per expected server thumbprint for connecting (cached, so TLS
 * sessions can be resumed).
 */
public final class TlsContextFactory {

    /**
     * TLS sessions kept per context for resumption. The JDK's default (20,480 sessions for 24 hours, a few KiB
     * each) let the heap grow by tens of MiB under reconnect churn; resumption needs only the recent ones.
     */
    static final int SESSION_CACHE_SIZE = 256;

    /** TLS 1.3 preferred, 1.2 accepted; nothing older. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final X509Certificate certificate;
    private final String thumbprint;
    private final KeyManager[] keyManagers;
    private final TlsProvider provider;
    private final Map<String, SSLContext> clientContexts = new ConcurrentHashMap<>();

    public TlsContextFactory(X509Certificate certificate, PrivateKey privateKey) {
        this(certificate, privateKey, "jdk");
    }

    /**
     * @param tlsProvider the TLS implementation of every context made here: {@code jdk} (JSSE) or {@code openssl}
     *                    (BoringSSL through netty-tcnative, which must be on the class path)
     * @throws IllegalArgumentException an unknown provider name
     * @throws IllegalStateException    openssl chosen but netty-tcnative cannot be loaded
     */
    public TlsContextFactory(X509Certificate certificate, PrivateKey privateKey, String tlsProvider) {
        this.certificate = certificate;
        this.provider = TlsProvider.parse(tlsProvider);
        this.provider.checkAvailable();
        this.thumbprint = Thumbprints.of(certificate);
        try {
            char[] pw = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("halibut", privateKey, pw, new Certificate[] {certificate});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            keyManagers = kmf.getKeyManagers();
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("The private key does not fit certificate "
                    + certificate.getSubjectX500Principal() + " (" + thumbprint + "): " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Our own thumbprint. */
    public String thumbprint() {
        return thumbprint;
    }

    /** The context a listener uses: it presents our certificate and accepts clients in {@code trust}. */
    public SSLContext serverContext(ThumbprintTrust trust) {
        return newContext(ThumbprintTrustManagers.forClients(trust), true);
    }

    /** The context for connecting to a server that must present {@code expectedThumbprint}. */
    public SSLContext clientContext(String expectedThumbprint) {
        String key = Thumbprints.normalize(expectedThumbprint);
        return clientContexts.computeIfAbsent(key, k -> newContext(ThumbprintTrustManagers.forServer(k), false));
    }

    /** Restricts a socket to the protocol versions we speak. */
    static void configure(SSLSocket socket, boolean server) {
        String[] supported = socket.getSupportedProtocols();
        String[] enabled = Arrays.stream(PROTOCOLS).filter(p -> Arrays.asList(supported).contains(p)).toArray(String[]::new);
        SSLParameters params = socket.getSSLParameters();
        params.setProtocols(enabled);
        if (server) {
            params.setNeedClientAuth(true);
        }
        socket.setSSLParameters(params);
        socket.setUseClientMode(!server);
    }

    /** Restricts an engine to the protocol versions we speak; a server's asks for the client's certificate. */
    static void configure(SSLEngine engine, boolean server) {
        String[] supported = engine.getSupportedProtocols();
        String[] enabled = Arrays.stream(PROTOCOLS).filter(p -> Arrays.asList(supported).contains(p)).toArray(String[]::new);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(enabled);
        if (server) {
            params.setNeedClientAuth(true);
        }
        engine.setSSLParameters(params);
        engine.setUseClientMode(!server);
    }

    private SSLContext newContext(TrustManager trustManager, boolean server) {
        return provider.newContext(keyManagers, trustManager, server, PROTOCOLS, SESSION_CACHE_SIZE);
    }
}
