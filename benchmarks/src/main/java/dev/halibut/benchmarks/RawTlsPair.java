package dev.halibut.benchmarks;

import dev.halibut.Thumbprints;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsContextFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The floor: plain JSSE TLS 1.3 connections with mutual authentication between the same two certificates
 * Halibut uses, no framing, no protocol, {@code TCP_NODELAY} on both ends. One server (a thread per
 * connection, as Halibut's listener) answers three requests: "copy n bytes to me" (acknowledged with one
 * byte), "send me n bytes", and a ping-pong "here are n bytes, answer with m bytes".
 *
 * <p>{@link #upload}/{@link #download}/{@link #pingPong} use one warm connection; {@link #connect()} opens
 * another (a handshake each; the client context is kept, so TLS sessions may be resumed exactly as
 * Halibut's connector and gRPC's channel may).
 */
final class RawTlsPair implements AutoCloseable {

    private final ServerSocket server;
    private final Thread acceptThread;
    private final SSLContext serverContext;
    private final SSLContext clientContext;
    private final Set<Socket> serverSockets = ConcurrentHashMap.newKeySet();
    private final Client main;

    RawTlsPair(CertificateAndKey serverId, CertificateAndKey clientId) throws IOException {
        TlsContextFactory serverContexts = new TlsContextFactory(serverId.certificate(), serverId.privateKey(), "jdk");
        TlsContextFactory clientContexts = new TlsContextFactory(clientId.certificate(), clientId.privateKey(), "jdk");
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(Thumbprints.of(clientId.certificate()));
        serverContext = serverContexts.serverContext(trust);
        clientContext = clientContexts.clientContext(Thumbprints.of(serverId.certificate()));
        server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        acceptThread = new Thread(this::acceptLoop, "raw-tls-accept");
        acceptThread.setDaemon(true);
        acceptThread.start();
        main = connect();
    }

    /** A new connection: TCP connect and a full mutual TLS 1.3 handshake (or a resumption). */
    Client connect() throws IOException {
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        raw.setTcpNoDelay(true);
        SSLSocket tls = (SSLSocket) clientContext.getSocketFactory()
                .createSocket(raw, "localhost", server.getLocalPort(), true);
        tls.setEnabledProtocols(new String[] {"TLSv1.3"});
        tls.startHandshake();
        return new Client(tls);
    }

    long upload(long size) throws IOException {
        return main.upload(size);
    }

    long download(long size) throws IOException {
        return main.download(size);
    }

    /** One ping-pong on the warm connection. */
    int pingPong(byte[] request, int responseSize) throws IOException {
        return main.pingPong(request, responseSize);
    }

    /** One client connection, used by one thread at a time. */
    static final class Client implements AutoCloseable {
        private final SSLSocket tls;
        private final DataOutputStream out;
        private final DataInputStream in;
        private byte[] response = new byte[0];

        Client(SSLSocket tls) throws IOException {
            this.tls = tls;
            // Buffered like Halibut's connection (16 KiB), so a small exchange is one TLS record each way.
            this.out = new DataOutputStream(new BufferedOutputStream(tls.getOutputStream(), 16 * 1024));
            this.in = new DataInputStream(new BufferedInputStream(tls.getInputStream(), 16 * 1024));
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
            return Blocks.drain(new BoundedInput(in, size));
        }

        /** Sends {@code request} and reads {@code responseSize} bytes back: one round trip, one record each way. */
        int pingPong(byte[] request, int responseSize) throws IOException {
            out.writeByte('P');
            out.writeInt(request.length);
            out.writeInt(responseSize);
            out.write(request);
            out.flush();
            if (response.length != responseSize) {
                response = new byte[responseSize];
            }
            in.readFully(response);
            return response[responseSize - 1];
        }

        @Override
        public void close() throws IOException {
            tls.close();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket raw;
            try {
                raw = server.accept();
            } catch (IOException e) {
                return;
            }
            serverSockets.add(raw);
            Thread t = new Thread(() -> serve(raw), "raw-tls-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket raw) {
        try (raw) {
            raw.setTcpNoDelay(true);
            SSLSocket s = (SSLSocket) serverContext.getSocketFactory().createSocket(raw, null, raw.getPort(), true);
            SSLParameters p = s.getSSLParameters();
            p.setNeedClientAuth(true);
            p.setProtocols(new String[] {"TLSv1.3"});
            s.setSSLParameters(p);
            s.setUseClientMode(false);
            DataInputStream sin = new DataInputStream(new BufferedInputStream(s.getInputStream(), 16 * 1024));
            DataOutputStream sout = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 16 * 1024));
            byte[] request = new byte[0];
            byte[] answer = new byte[0];
            while (true) {
                int op = sin.read();
                if (op < 0) {
                    return;
                }
                if (op == 'P') {
                    int n = sin.readInt();
                    int m = sin.readInt();
                    if (request.length != n) {
                        request = new byte[n];
                    }
                    if (answer.length != m) {
                        answer = new byte[m];
                        java.util.Arrays.fill(answer, (byte) 1);
                    }
                    sin.readFully(request);
                    sout.write(answer);
                    sout.flush();
                    continue;
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
            // The client closed the connection; the thread ends.
        } finally {
            serverSockets.remove(raw);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        main.close();
        server.close();
        for (Socket s : serverSockets) {
            s.close();
        }
        acceptThread.join(5000);
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
