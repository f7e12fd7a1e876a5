package dev.halibut.benchmarks;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.Thumbprints;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsContextFactory;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The floor: a plain JSSE TLS 1.3 connection with mutual authentication between the same two
 * certificates, no framing, no protocol. The server answers each request "copy n bytes to me" or
 * "send me n bytes" and acknowledges with one byte.
 */
final class RawTlsPair implements AutoCloseable {

    private final ServerSocket server;
    private final Thread serverThread;
    private final SSLSocket client;
    private final DataOutputStream out;
    private final DataInputStream in;

    RawTlsPair(CertificateAndKey serverId, CertificateAndKey clientId) throws IOException {
        TlsContextFactory serverContexts = new TlsContextFactory(serverId.certificate(), serverId.privateKey());
        TlsContextFactory clientContexts = new TlsContextFactory(clientId.certificate(), clientId.privateKey());
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(Thumbprints.of(clientId.certificate()));
        SSLContext serverContext = serverContexts.serverContext(trust);
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        serverThread = new Thread(() -> serve(serverContext), "raw-tls-server");
        serverThread.setDaemon(true);
        serverThread.start();
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        raw.setTcpNoDelay(true);
        client = (SSLSocket) clientContexts.clientContext(Thumbprints.of(serverId.certificate())).getSocketFactory()
                .createSocket(raw, "localhost", server.getLocalPort(), true);
        client.setEnabledProtocols(new String[] {"TLSv1.3"});
        client.startHandshake();
        out = new DataOutputStream(client.getOutputStream());
        in = new DataInputStream(client.getInputStream());
    }

    /** Sends {@code size} bytes; returns when the server has read them all. */
    long upload(long size) throws IOException {
        out.writeByte('U');
        out.writeLong(size);
        Blocks.write(out, size);
        out.flush();
        in.readByte();
        return size;
    }

    /** Receives {@code size} bytes from the server. */
    long download(long size) throws IOException {
        out.writeByte('D');
        out.writeLong(size);
        out.flush();
        long got = Blocks.drain(new BoundedInput(in, size));
        return got;
    }

    private void serve(SSLContext context) {
        try (Socket raw = server.accept()) {
            raw.setTcpNoDelay(true);
            SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw, null, raw.getPort(), true);
            SSLParameters p = s.getSSLParameters();
            p.setNeedClientAuth(true);
            p.setProtocols(new String[] {"TLSv1.3"});
            s.setSSLParameters(p);
            s.setUseClientMode(false);
            DataInputStream sin = new DataInputStream(s.getInputStream());
            DataOutputStream sout = new DataOutputStream(s.getOutputStream());
            while (true) {
                int op = sin.read();
                if (op < 0) {
                    return;
                }
                long size = sin.readLong();
                if (op == 'U') {
                    Blocks.drain(new BoundedInput(sin, size));
                    sout.writeByte(1);
                } else {
                    Blocks.write(sout, size);
                }
                sout.flush();
            }
        } catch (IOException e) {
            // The benchmark closed the connection; the thread ends.
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        client.close();
        server.close();
        serverThread.join(5000);
    }

    /** Reads at most {@code limit} bytes of {@code in}, then reports the end. */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInput(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

}
