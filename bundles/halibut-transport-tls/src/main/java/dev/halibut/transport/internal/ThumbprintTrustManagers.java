package dev.halibut.transport.internal;

import dev.halibut.Thumbprints;
import dev.halibut.transport.ThumbprintTrust;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust decided by thumbprint alone: no certificate authority, host name or validity check, because
 * Halibut certificates are self-signed and pinned. Extending {@link X509ExtendedTrustManager} keeps
 * JSSE from adding its own host name checks.
 */
public final class ThumbprintTrustManagers {

    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    private ThumbprintTrustManagers() {
    }

    /** For listeners: accepts client certificates whose thumbprint is in {@code trust}. */
    public static X509ExtendedTrustManager forClients(ThumbprintTrust trust) {
        return new Base() {
            @Override
            void checkClient(X509Certificate[] chain) throws CertificateException {
                if (chain == null || chain.length == 0) {
                    throw new CertificateException("The client presented no certificate");
                }
                String tp = Thumbprints.of(chain[0]);
                if (!trust.isTrusted(tp)) {
                    throw new CertificateException("Client certificate " + tp + " ("
                            + chain[0].getSubjectX500Principal().getName() + ") is not trusted by this listener");
                }
            }
        };
    }

    /** For connectors: accepts exactly the server certificate with {@code expectedThumbprint}. */
    public static X509ExtendedTrustManager forServer(String expectedThumbprint) {
        return new Base() {
            @Override
            void checkServer(X509Certificate[] chain) throws CertificateException {
                if (chain == null || chain.length == 0) {
                    throw new CertificateException("The server presented no certificate");
                }
                String tp = Thumbprints.of(chain[0]);
                if (!Thumbprints.matches(tp, expectedThumbprint)) {
                    throw new ServerThumbprintMismatchException(expectedThumbprint, tp);
                }
            }
        };
    }

    private abstract static class Base extends X509ExtendedTrustManager {
        void checkClient(X509Certificate[] chain) throws CertificateException {
            throw new CertificateException("This side does not accept client connections");
        }

        void checkServer(X509Certificate[] chain) throws CertificateException {
            throw new CertificateException("This side does not connect to servers");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClient(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClient(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkClient(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkServer(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            // Empty: the server's CertificateRequest names no CA, so any client certificate is offered.
            return NO_ISSUERS;
        }
    }
}
