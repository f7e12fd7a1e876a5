package dev.halibut.runtime.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback that injects faults between a caller and a listener: refuse connections,
 * stall the server's bytes, cut the connections with a reset, or truncate what the server sends.
 * "Server bytes" flow from the target to the connecting client. Owns its sockets and threads; close()
 * ends them all.
 */
public final class FaultProxy implements AutoCloseable {

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Thread acceptThread;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Object stallLock = new Object();
    private volatile boolean refuse;
    private volatile long stallServerAfter = -1;
    private volatile boolean closed;

    public FaultProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptThread = new Thread(this::acceptLoop, "fault-proxy-accept-" + server.getLocalPort());
        this.acceptThread.setDaemon(true);
        this.acceptThread.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far (including refused ones). */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Proxied connections whose sockets are still open. */
    public int openConnections() {
        return links.size();
    }

    /** Close every new connection right after accepting it. */
    public void refuse() {
        refuse = true;
    }

    /** New connections forward only their first {@code n} server bytes, then hold the rest back. */
    public void stallAfterServerBytes(long n) {
        stallServerAfter = n;
    }

    /** Aborts every live connection with a TCP reset, on both sides. */
    public void killAll() {
        for (Link l : links) {
            l.abort();
        }
    }

    /** Live connections forward {@code n} more server bytes, then the client side is closed (FIN). */
    public void truncateServerBytesAfter(long n) {
        for (Link l : links) {
            l.truncateAt = l.serverBytes + n;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            if (refuse) {
                quietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.setTcpNoDelay(true);
                upstream.connect(target, 5000);
                client.setTcpNoDelay(true);
                Link link = new Link(client, upstream, stallServerAfter);
                links.add(link);
                start("fault-proxy-c2s-" + client.getPort(), () -> link.pump(client, upstream, false));
                start("fault-proxy-s2c-" + client.getPort(), () -> link.pump(upstream, client, true));
            } catch (IOException e) {
                quietly(client);
            }
        }
    }

    private void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        killAll();
        synchronized (stallLock) {
            stallLock.notifyAll();
        }
        acceptThread.join(5000);
        for (Thread t : threads) {
            t.join(5000);
        }
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // test utility: the socket is gone either way
        }
    }

    private final class Link {
        final Socket client;
        final Socket upstream;
        final long stallAfter;
        volatile long serverBytes;
        volatile long truncateAt = -1;
        final AtomicInteger finishedPumps = new AtomicInteger();

        Link(Socket client, Socket upstream, long stallAfter) {
            this.client = client;
            this.upstream = upstream;
            this.stallAfter = stallAfter;
        }

        void pump(Socket from, Socket to, boolean serverToClient) {
            byte[] buf = new byte[16 * 1024];
            // No try-with-resources on the streams: closing a socket's stream closes the socket, which
            // would turn a half-close into a reset.
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int max = buf.length;
                    if (serverToClient && stallAfter >= 0) {
                        if (serverBytes >= stallAfter) {
                            synchronized (stallLock) {
                                while (!closed && !client.isClosed()) {
                                    stallLock.wait(1000);
                                }
                            }
                            return;
                        }
                        max = (int) Math.min(max, stallAfter - serverBytes);
                    }
                    int n = in.read(buf, 0, max);
                    if (n < 0) {
                        to.shutdownOutput();
                        return;
                    }
                    if (serverToClient) {
                        // The truncation point may have been set while this read was blocked: clip after reading.
                        long t = truncateAt;
                        if (t >= 0 && serverBytes + n >= t) {
                            out.write(buf, 0, (int) Math.max(0, t - serverBytes));
                            out.flush();
                            serverBytes = t;
                            to.shutdownOutput();
                            return;
                        }
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    if (serverToClient) {
                        serverBytes += n;
                    }
                }
            } catch (IOException | InterruptedException e) {
                abort();
            } finally {
                if (finishedPumps.incrementAndGet() == 2) {
                    abort(); // both directions ended: release the sockets
                }
            }
        }

        void abort() {
            for (Socket s : new Socket[] {client, upstream}) {
                try {
                    s.setSoLinger(true, 0);
                } catch (IOException e) {
                    // already closed
                }
                quietly(s);
            }
            links.remove(this);
        }
    }
}
