package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Identification;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import javax.net.ssl.SSLSocket;

/**
 * Connections the tests open by hand to a runtime listening on loopback, to play a peer frame by frame: TLS made
 * with Halibut's own {@link TlsContextFactory}, so the listener sees the certificate a real peer would present.
 */
final class RawConnections {

    private RawConnections() {
    }

    /**
     * A TLS connection to {@code listener} on {@code port}, presenting {@code as} and accepting only the listener's
     * certificate, its handshake done; reads on it time out after {@code readTimeout}.
     */
    static SSLSocket tls(CertificateAndKey as, HalibutRuntime listener, int port, Duration readTimeout)
            throws IOException {
        TlsContextFactory contexts = new TlsContextFactory(as.certificate(), as.privateKey());
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), port);
        raw.setSoTimeout((int) readTimeout.toMillis());
        SSLSocket s = (SSLSocket) contexts.clientContext(listener.thumbprint()).getSocketFactory()
                .createSocket(raw, "localhost", port, true);
        s.setUseClientMode(true);
        s.startHandshake();
        return s;
    }

    /** {@link #tls} as the octopus, identified as a client and answered as by a server: ready for frames. */
    static SSLSocket identifiedClient(HalibutRuntime listener, int port, Duration readTimeout) throws IOException {
        SSLSocket s = tls(TestIdentities.OCTOPUS, listener, port, readTimeout);
        Identification.client().writeTo(s.getOutputStream());
        assertThat(Identification.readFrom(s.getInputStream()).role()).isEqualTo(Identification.Role.SERVER);
        return s;
    }
}
