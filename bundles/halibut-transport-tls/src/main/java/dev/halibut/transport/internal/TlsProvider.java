package dev.halibut.transport.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.KeyManagementException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * Which TLS implementation encrypts a runtime's connections: the JDK's (JSSE, the default) or OpenSSL
 * (BoringSSL) through Netty's {@link SslProvider#OPENSSL}, which needs {@code netty-tcnative-boringssl-static}
 * on the class path. Both give the transport an {@link SSLContext} whose engines its {@code SslHandler}s use,
 * with the same key, the same thumbprint trust manager, the same protocol versions and session cache size,
 * so nothing else in the transport knows which one runs. OpenSSL exists because the JDK 17's AES-GCM is
 * the bulk of the CPU of a stream transfer (docs/benchmarks.md).
 */
public enum TlsProvider {
    /** JSSE, in the JVM. */
    JDK,
    /** BoringSSL through netty-tcnative. */
    OPENSSL;

    /** {@code jdk} or {@code openssl} (any case), as the {@code tls.provider} setting is written. */
    public static TlsProvider parse(String name) {
        for (TlsProvider p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("Unknown TLS provider '" + name + "': use jdk or openssl");
    }

    /**
     * Fails early, when a runtime is built, rather than at its first connection.
     *
     * @throws IllegalStateException when OPENSSL is chosen but netty-tcnative cannot be loaded here
     */
    public void checkAvailable() {
        if (this == OPENSSL && !OpenSsl.isAvailable()) {
            throw new IllegalStateException("TLS provider openssl was chosen but OpenSSL cannot be loaded ("
                    + OpenSsl.unavailabilityCause() + "): put netty-tcnative-boringssl-static for this platform on"
                    + " the class path, or use tls.provider=jdk");
        }
    }

    /**
     * Whether {@code engine} encrypts from direct memory without a copy (OpenSSL's engines); the JDK's engine works on
     * arrays: its AES-GCM reads a direct buffer through an extra copy, and Netty's {@code SslHandler} gives it heap
     * buffers to write into for that reason. Stream frames are built in the kind of buffer their engine wants.
     */
    public static boolean encryptsFromDirectBuffers(SSLEngine engine) {
        return engine instanceof io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
    }

    /**
     * Fits {@code tls} to its engine for bulk transfers (docs/benchmarks.md, "Streams against the raw TLS copy, round
     * 2"). For the JDK's engine, which works on arrays:
     * <ul>
     * <li>received bytes are gathered in a heap buffer ({@link HeapRecordCumulator}): the engine decrypts in place,
     * and its AES-GCM on the direct buffers the socket reads into costs about twice as much;</li>
     * <li>each written buffer is encrypted on its own ({@code wrapDataSize} 0), in records of 16 KiB cut from its
     * start, instead of Netty's default of cutting 16 KiB pieces across the queued writes, which copies every piece
     * that ends a write and every record that spans two writes into a new buffer. A stream frame is exactly four
     * records ({@code StreamSender}); a small message is one record either way.</li>
     * </ul>
     * OpenSSL works on direct memory, gathers received bytes without a copy and keeps Netty's settings.
     */
    public static void fit(SslHandler tls) {
        if (!encryptsFromDirectBuffers(tls.engine())) {
            tls.setCumulator(HeapRecordCumulator.INSTANCE);
            tls.setWrapDataSize(0);
        }
    }

    /**
     * A context that presents {@code keyManagers}' certificate and decides trust with {@code trustManager}.
     *
     * @throws IllegalStateException when OPENSSL is chosen but netty-tcnative cannot be loaded here
     */
    public SSLContext newContext(KeyManager[] keyManagers, TrustManager trustManager, boolean server,
                                 String[] protocols, int sessionCacheSize) {
        try {
            if (this == JDK) {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(keyManagers, new TrustManager[] {trustManager}, null);
                ctx.getClientSessionContext().setSessionCacheSize(sessionCacheSize);
                ctx.getServerSessionContext().setSessionCacheSize(sessionCacheSize);
                return ctx;
            }
            checkAvailable();
            SslContextBuilder b = server ? SslContextBuilder.forServer(keyManagers[0]).clientAuth(ClientAuth.REQUIRE)
                    : SslContextBuilder.forClient().keyManager(keyManagers[0]);
            SslContext netty = b.sslProvider(SslProvider.OPENSSL).trustManager(trustManager).protocols(protocols)
                    .sessionCacheSize(sessionCacheSize).build();
            return new NettyBackedContext(netty);
        } catch (java.security.GeneralSecurityException | SSLException e) {
            throw new IllegalStateException("This JVM cannot create a TLS context (" + this + "): " + e.getMessage(), e);
        }
    }

    /** An SSLContext whose engines come from a Netty (OpenSSL) context; engines only, no sockets. */
    private static final class NettyBackedContext extends SSLContext {
        private static final Provider PROVIDER = new Provider("Halibut-OpenSSL", "1", "netty-tcnative engines") {
            private static final long serialVersionUID = 1L;
        };

        NettyBackedContext(SslContext netty) {
            super(new Spi(netty), PROVIDER, "TLS");
        }
    }

    private static final class Spi extends SSLContextSpi {
        private final SslContext netty;

        Spi(SslContext netty) {
            this.netty = netty;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            throw new KeyManagementException("already initialised");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("OpenSSL contexts make engines for Netty, not sockets");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("OpenSSL contexts make engines for Netty, not sockets");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return netty.newEngine(ByteBufAllocator.DEFAULT);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            // Host and port key the client's session cache, for resumption.
            return netty.newEngine(ByteBufAllocator.DEFAULT, host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return netty.sessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return netty.sessionContext();
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
