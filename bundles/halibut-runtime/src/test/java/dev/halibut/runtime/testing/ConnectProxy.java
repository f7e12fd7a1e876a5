package dev.halibut.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP CONNECT proxy on 127.0.0.1 (port 0), as a company proxy would be: it reads one {@code CONNECT
 * host:port HTTP/1.1} request, optionally checks {@code Proxy-Authorization: Basic}, connects to the target (only
 * loopback targets) and relays bytes both ways. It records every relayed byte, so a test can check that it saw no
 * plaintext; it can refuse (any status), close without answering, answer with garbage, and drop every open tunnel
 * on command.
 *
 * <p>Blocking sockets, a thread per connection and two per tunnel. The proxy owns every socket and thread it
 * creates; {@link #close()} closes and joins them all.
 */
public final class ConnectProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectProxy.class);
    private static final int MAX_REQUEST_HEADER = 8 * 1024;
    private static final long MAX_RECORDED = 64L * 1024 * 1024;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    /** How the proxy answers a CONNECT request. */
    public enum Mode {
        /** Opens the tunnel (after checking credentials, if {@link #requireCredentials} was called). */
        TUNNEL,
        /** Answers {@code 403 Forbidden}. */
        FORBID,
        /** Closes the connection without answering. */
        CLOSE,
        /** Answers with bytes that are not HTTP. */
        GARBAGE
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Socket> tunnelSockets = ConcurrentHashMap.newKeySet();
    private final List<String> targets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectRequests = new AtomicInteger();
    private final AtomicInteger tunnels = new AtomicInteger();
    private final ByteArrayOutputStream relayed = new ByteArrayOutputStream();
    private volatile Mode mode = Mode.TUNNEL;
    private volatile String expectedAuthorization;
    private volatile boolean closed;

    public ConnectProxy() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "connect-proxy-" + server.getLocalPort() + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1} (or the loopback address's literal), for an {@code HttpProxy}. */
    public String host() {
        return server.getInetAddress().getHostAddress();
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    /** From now on a tunnel needs exactly these Basic credentials; otherwise the answer is 407. */
    public void requireCredentials(String username, String password) {
        expectedAuthorization = "Basic " + Base64.getEncoder().encodeToString(
                (username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** CONNECT requests received (whatever the answer). */
    public int connectRequests() {
        return connectRequests.get();
    }

    /** Tunnels opened. */
    public int tunnels() {
        return tunnels.get();
    }

    /** The {@code host:port} of every CONNECT request, in order. */
    public List<String> targets() {
        return List.copyOf(targets);
    }

    /** Every byte relayed through the tunnels so far, both directions interleaved. */
    public byte[] relayedBytes() {
        synchronized (relayed) {
            return relayed.toByteArray();
        }
    }

    /** Resets every open tunnel now (both sides), as a proxy that drops connections would. */
    public void dropTunnels() {
        for (Socket s : List.copyOf(tunnelSockets)) {
            reset(s);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Connect proxy on port {} stopped accepting", port(), e);
                }
                return;
            }
            sockets.add(client);
            start("conn", () -> serve(client));
        }
    }

    private void start(String what, Runnable r) {
        Thread t = new Thread(r, "connect-proxy-" + port() + "-" + what);
        t.setDaemon(true);
        threads.removeIf(x -> !x.isAlive());
        threads.add(t);
        t.start();
    }

    private void serve(Socket client) {
        try {
            client.setTcpNoDelay(true);
            List<String> header = readHeader(client.getInputStream());
            if (header == null) {
                close(client);
                return;
            }
            String[] request = header.get(0).split(" ");
            connectRequests.incrementAndGet();
            OutputStream out = client.getOutputStream();
            if (request.length != 3 || !request[0].equals("CONNECT")) {
                answer(out, "HTTP/1.1 405 Method Not Allowed");
                close(client);
                return;
            }
            targets.add(request[1]);
            switch (mode) {
                case FORBID -> {
                    answer(out, "HTTP/1.1 403 Forbidden");
                    close(client);
                    return;
                }
                case CLOSE -> {
                    close(client);
                    return;
                }
                case GARBAGE -> {
                    out.write("SSH-2.0-OpenSSH_9.2\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    close(client);
                    return;
                }
                default -> {
                }
            }
            String expected = expectedAuthorization;
            if (expected != null && header.stream().skip(1).noneMatch(h -> h.regionMatches(true, 0,
                    "Proxy-Authorization:", 0, 20) && h.substring(20).trim().equals(expected))) {
                answer(out, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"");
                close(client);
                return;
            }
            int colon = request[1].lastIndexOf(':');
            String host = request[1].substring(0, colon).replace("[", "").replace("]", "");
            InetAddress address = InetAddress.getByName(host);
            if (!address.isLoopbackAddress()) {
                answer(out, "HTTP/1.1 403 Forbidden"); // a test proxy: loopback only
                close(client);
                return;
            }
            Socket upstream = new Socket();
            sockets.add(upstream);
            try {
                upstream.connect(new InetSocketAddress(address, Integer.parseInt(request[1].substring(colon + 1))), 5000);
                upstream.setTcpNoDelay(true);
            } catch (IOException e) {
                answer(out, "HTTP/1.1 502 Bad Gateway");
                close(client);
                close(upstream);
                return;
            }
            tunnelSockets.add(client);
            tunnelSockets.add(upstream);
            tunnels.incrementAndGet();
            answer(out, "HTTP/1.1 200 Connection established");
            start("up", () -> pump(client, upstream));
            pump(upstream, client);
        } catch (IOException e) {
            LOG.debug("Connect proxy connection ended: {}", e.toString());
            close(client);
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (relayed) {
                    if (relayed.size() < MAX_RECORDED) {
                        relayed.write(buf, 0, n);
                    }
                }
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            reset(from);
            reset(to);
        }
    }

    /** The request line and headers, or null when the client closed or sent too much. */
    private static List<String> readHeader(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0 || b.size() >= MAX_REQUEST_HEADER) {
                return null;
            }
            b.write(c);
            matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        List<String> lines = new ArrayList<>(b.toString(StandardCharsets.ISO_8859_1).lines().toList());
        lines.removeIf(String::isEmpty);
        return lines.isEmpty() ? null : lines;
    }

    private static void answer(OutputStream out, String statusAndHeaders) throws IOException {
        out.write((statusAndHeaders + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void reset(Socket s) {
        try (s) {
            s.setSoLinger(true, 0);
        } catch (IOException e) {
            LOG.debug("Resetting {} failed: {}", s, e.toString());
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            LOG.debug("Closing {} failed: {}", s, e.toString());
        }
    }

    /** Stops listening, resets every connection and joins every thread. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("Closing the proxy's listener failed: {}", e.toString());
        }
        sockets.forEach(ConnectProxy::reset);
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        try {
            acceptor.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            for (Thread t : threads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> alive = new ArrayList<>();
        threads.stream().filter(Thread::isAlive).forEach(t -> alive.add(t.getName()));
        if (acceptor.isAlive()) {
            alive.add(acceptor.getName());
        }
        if (!alive.isEmpty()) {
            throw new IllegalStateException("Connect proxy threads still running after close(): " + alive);
        }
    }

    @Override
    public String toString() {
        return "ConnectProxy[" + host() + ":" + port() + ", " + mode.name().toLowerCase(Locale.ROOT) + "]";
    }
}
