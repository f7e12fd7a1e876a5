package dev.halibut.runtime.it;

import dev.halibut.runtime.CertificateAndKey;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A reverse proxy on loopback that passes nothing but WebSockets, standing in for a load balancer that speaks only
 * HTTP. It parses what it relays: the first request on a connection must be an HTTP/1.1 {@code GET} with
 * {@code Upgrade: websocket} (anything else is answered {@code 403} and closed, which is what such a load balancer
 * does to raw Halibut), the backend's answer must be {@code 101}, and after that every byte in either direction
 * must be part of a well-formed RFC 6455 frame (client frames masked, server frames not, no text frames, no payload
 * above 64 KiB); a violation is recorded and ends the connection.
 *
 * <p>Why it terminates TLS, and what that proves. With {@code wss://} and end-to-end TLS, a relay that does not
 * terminate TLS sees only ciphertext: it cannot tell a WebSocket from raw Halibut, so a pass-through relay would
 * prove nothing about WebSockets. A proxy that can parse the upgrade must terminate TLS, and then the pinned
 * thumbprints on both sides would see the proxy's certificates, not each other's. This proxy therefore holds both
 * parties' certificates and keys: towards the subscriber it presents the listener's certificate, towards the
 * listener the subscriber's, so that both pins still hold. A real load balancer cannot do that (it would hold the
 * listener's key and present its own client certificate, which the listener would have to trust in place of every
 * subscriber's); in production {@code wss://} with pinning needs a load balancer that passes TLS through, and what
 * this proxy proves is that everything Halibut sends over {@code wss://} is an HTTP upgrade followed by well-formed
 * binary WebSocket frames, which an HTTP-only intermediary that inspects the traffic accepts.
 *
 * <p>Owns its server socket, every relayed socket and its threads; {@link #close()} ends them all.
 */
final class WebSocketOnlyProxy implements AutoCloseable {

    private static final int MAX_HEAD = 8192;
    private static final int MAX_FRAME_PAYLOAD = 64 * 1024;

    private final ServerSocket server;
    private final SSLContext frontContext;
    private final SSLContext backendContext;
    private final InetSocketAddress backend;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger upgrades = new AtomicInteger();
    private final AtomicInteger refusals = new AtomicInteger();
    private final AtomicLong frames = new AtomicLong();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /**
     * @param listenerIdentity   presented to the subscribers (the listener's certificate and key)
     * @param subscriberIdentity presented to the listener (the subscriber's certificate and key)
     * @param backend            the listener's address
     */
    WebSocketOnlyProxy(CertificateAndKey listenerIdentity, CertificateAndKey subscriberIdentity,
                       InetSocketAddress backend) throws IOException {
        this.backendContext = TestTls.presenting(subscriberIdentity);
        this.backend = backend;
        this.frontContext = TestTls.presenting(listenerIdentity);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("ws-proxy-accept", this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** WebSocket upgrades relayed (the backend answered 101). */
    int upgrades() {
        return upgrades.get();
    }

    /** Connections refused because they did not start with a WebSocket upgrade request. */
    int refusals() {
        return refusals.get();
    }

    /** WebSocket frames relayed, both directions. */
    long frames() {
        return frames.get();
    }

    /** What broke the WebSocket rules after an upgrade; empty if nothing did. */
    List<String> violations() {
        return List.copyOf(violations);
    }

    private void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket plain = server.accept();
                sockets.add(plain); // closing the plain socket unblocks the TLS socket's reader at once
                SSLSocket s = (SSLSocket) frontContext.getSocketFactory().createSocket(plain, null, plain.getPort(), true);
                s.setUseClientMode(false);
                s.setWantClientAuth(true);
                start("ws-proxy-conn", () -> relay(plain, s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void relay(Socket plainClient, SSLSocket client) {
        SSLSocket up = null;
        Socket plainUp = null;
        try {
            client.setSoTimeout(10_000);
            String request = readHead(client.getInputStream(), true);
            if (request == null || !isWebSocketUpgrade(request)) {
                refusals.incrementAndGet();
                client.getOutputStream().write(("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                client.getOutputStream().flush();
                return;
            }
            plainUp = new Socket(backend.getAddress(), backend.getPort());
            sockets.add(plainUp);
            up = (SSLSocket) backendContext.getSocketFactory().createSocket(plainUp, backend.getHostString(),
                    backend.getPort(), true);
            up.setSoTimeout(10_000);
            up.startHandshake();
            up.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            up.getOutputStream().flush();
            String answer = readHead(up.getInputStream(), false);
            if (answer == null) {
                return;
            }
            client.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            if (!answer.startsWith("HTTP/1.1 101")) {
                return;
            }
            upgrades.incrementAndGet();
            client.setSoTimeout(0);
            up.setSoTimeout(0);
            SSLSocket backendSocket = up;
            Socket plainBackend = plainUp;
            start("ws-proxy-down", () -> frames(backendSocket, client, false, plainBackend, plainClient));
            frames(client, up, true, plainClient, plainUp);
        } catch (IOException e) {
            // the peer went away; the sockets are closed below
        } finally {
            close(plainClient);
            if (plainUp != null) {
                close(plainUp);
            }
        }
    }

    /** Relays whole WebSocket frames from {@code from} to {@code to} until either ends or a frame breaks the rules. */
    private void frames(Socket from, Socket to, boolean fromClient, Socket plainFrom, Socket plainTo) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    return;
                }
                int b1 = readByte(in);
                ByteArrayOutputStream frame = new ByteArrayOutputStream();
                frame.write(b0);
                frame.write(b1);
                int opcode = b0 & 0x0f;
                boolean masked = (b1 & 0x80) != 0;
                long length = b1 & 0x7f;
                if (length == 126) {
                    byte[] ext = readN(in, 2);
                    frame.write(ext);
                    length = ((ext[0] & 0xffL) << 8) | (ext[1] & 0xffL);
                } else if (length == 127) {
                    byte[] ext = readN(in, 8);
                    frame.write(ext);
                    length = 0;
                    for (byte b : ext) {
                        length = (length << 8) | (b & 0xffL);
                    }
                }
                String direction = fromClient ? "subscriber -> listener" : "listener -> subscriber";
                if (opcode != 0x0 && opcode != 0x2 && opcode != 0x8 && opcode != 0x9 && opcode != 0xA) {
                    violations.add(direction + ": frame with opcode " + opcode);
                    return;
                }
                if (masked != fromClient) {
                    violations.add(direction + ": frame " + (masked ? "masked" : "not masked"));
                    return;
                }
                if (length > MAX_FRAME_PAYLOAD) {
                    violations.add(direction + ": frame payload of " + length + " bytes");
                    return;
                }
                if (masked) {
                    frame.write(readN(in, 4));
                }
                frame.write(readN(in, (int) length));
                out.write(frame.toByteArray());
                out.flush();
                frames.incrementAndGet();
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            close(plainFrom);
            close(plainTo);
        }
    }

    /** The head of an HTTP message, up to its blank line; {@code null} if it is not one (or too long). */
    private static String readHead(InputStream in, boolean request) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        byte[] start = (request ? "GET " : "HTTP/1.1 ").getBytes(StandardCharsets.US_ASCII);
        while (head.size() < MAX_HEAD) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            int n = head.size();
            if (n <= start.length && b != start[n - 1]) {
                return null; // not HTTP: raw Halibut starts "HALIBUT-", which no HTTP-only proxy parses
            }
            byte[] h = head.toByteArray();
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static boolean isWebSocketUpgrade(String request) {
        String[] lines = request.split("\r\n");
        if (!lines[0].startsWith("GET ") || !lines[0].endsWith(" HTTP/1.1")) {
            return false;
        }
        boolean upgrade = false;
        boolean connection = false;
        for (String line : lines) {
            String l = line.toLowerCase(Locale.ROOT);
            upgrade |= l.startsWith("upgrade:") && l.substring(8).trim().equals("websocket");
            connection |= l.startsWith("connection:") && l.contains("upgrade");
        }
        return upgrade && connection;
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("end of stream inside a WebSocket frame");
        }
        return b;
    }

    private static byte[] readN(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("end of stream inside a WebSocket frame");
        }
        return b;
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        List<Socket> open = new ArrayList<>(sockets);
        open.forEach(WebSocketOnlyProxy::close);
        for (Thread t : threads) {
            t.join(5_000);
        }
    }
}
