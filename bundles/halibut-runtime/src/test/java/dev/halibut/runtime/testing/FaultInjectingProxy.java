package dev.halibut.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on 127.0.0.1 in front of one target that injects faults at exact byte offsets: refused
 * connections, resets, stalls, truncation and duplicated bytes. "Client bytes" flow from whoever
 * connects to the proxy towards the target; "server bytes" flow back.
 *
 * <p>One fault is active at a time: each fault method replaces the previous fault and applies to
 * connections accepted from then on, each of which keeps the fault it was accepted under. Offsets
 * count bytes from the start of each proxied connection, per direction. Two calls also act on live
 * connections: {@link #forward()} releases stalls, {@link #killAll()} resets everything.
 *
 * <p>Live faults ({@link #injectIntoNextServerBytes}, {@link #injectIntoNextClientBytes}) act on the
 * connections open at the time of the call instead, on the next bytes that arrive in that direction after
 * it, whatever their offset: "the response that is about to come" rather than "byte 1,234".
 *
 * <p>Plain blocking sockets and two threads per connection (named {@code fault-proxy-<port>-...}) keep
 * the byte accounting exact and easy to follow. The proxy owns every socket and thread it creates;
 * {@link #close()} closes and joins them all.
 */
public final class FaultInjectingProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FaultInjectingProxy.class);
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private enum Kind { FORWARD, REFUSE, RESET, STALL, TRUNCATE, DUPLICATE }

    /** What a live fault does to the next bytes that arrive in its direction. */
    public enum LiveFault {
        /** Hold them (and everything after them) until {@link #forward()}. */
        STALL,
        /** Drop them and end that direction with a FIN (a clean end of stream, too early). */
        TRUNCATE,
        /** Forward them twice in a row. */
        DUPLICATE,
        /** Drop them and reset both sides. */
        RESET
    }

    private enum Direction {
        CLIENT_TO_SERVER("c2s"), SERVER_TO_CLIENT("s2c");

        final String tag;

        Direction(String tag) {
            this.tag = tag;
        }
    }

    /** What to do to which direction of a connection, at which byte offset. */
    private record Fault(Kind kind, Direction direction, long at, int count) {
        static final Fault NONE = new Fault(Kind.FORWARD, null, 0, 0);

        /** Where the fault acts: duplication acts once the bytes to repeat have gone through. */
        long triggerOffset() {
            return kind == Kind.DUPLICATE ? at + count : at;
        }
    }

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final int port;
    private final Thread acceptor;
    /** Pump threads, added and pruned only by the acceptor, so complete once it has ended. */
    private final Set<Thread> pumps = ConcurrentHashMap.newKeySet();

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every accept, stall release and connection end, so waiters recheck their state. */
    private final Condition changed = lock.newCondition();
    // Guarded by lock:
    private final Set<Link> links = new HashSet<>();
    private Fault fault = Fault.NONE;
    private int accepted;
    private boolean closed;

    /** Starts listening on 127.0.0.1 on a free port, forwarding to {@code target}. */
    public FaultInjectingProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        this.port = server.getLocalPort();
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-" + port + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port the proxy listens (or, after {@link #stopListening()}, listened) on. */
    public int port() {
        return port;
    }

    /** Forward new connections untouched, and let stalled live connections carry on. */
    public void forward() {
        lock.lock();
        try {
            fault = Fault.NONE;
            links.forEach(link -> link.released = true);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Close new connections as soon as they are accepted, without contacting the target. */
    public void refuse() {
        setFault(new Fault(Kind.REFUSE, null, 0, 0));
    }

    /**
     * Closes the listening socket, so that connecting to {@link #port()} is refused at TCP level.
     * Returns once the accept thread has ended: until then it holds the kernel's listening socket open
     * and connections could still be accepted.
     */
    public void stopListening() throws IOException, InterruptedException {
        server.close();
        acceptor.join(JOIN_TIMEOUT.toMillis());
        if (acceptor.isAlive()) {
            throw new IllegalStateException(acceptor.getName() + " still running " + JOIN_TIMEOUT
                    + " after stopListening()");
        }
    }

    /** New connections forward {@code n} client bytes, then both sides get a TCP reset. */
    public void resetAfterClientBytes(long n) {
        setFault(new Fault(Kind.RESET, Direction.CLIENT_TO_SERVER, requireOffset(n), 0));
    }

    /** New connections forward {@code n} server bytes, then both sides get a TCP reset. */
    public void resetAfterServerBytes(long n) {
        setFault(new Fault(Kind.RESET, Direction.SERVER_TO_CLIENT, requireOffset(n), 0));
    }

    /** New connections forward {@code n} client bytes, then hold the rest until {@link #forward()}. */
    public void stallAfterClientBytes(long n) {
        setFault(new Fault(Kind.STALL, Direction.CLIENT_TO_SERVER, requireOffset(n), 0));
    }

    /** New connections forward {@code n} server bytes, then hold the rest until {@link #forward()}. */
    public void stallAfterServerBytes(long n) {
        setFault(new Fault(Kind.STALL, Direction.SERVER_TO_CLIENT, requireOffset(n), 0));
    }

    /** New connections forward {@code n} server bytes, then the client gets a FIN (end of stream). */
    public void truncateAfterServerBytes(long n) {
        setFault(new Fault(Kind.TRUNCATE, Direction.SERVER_TO_CLIENT, requireOffset(n), 0));
    }

    /**
     * New connections send the {@code count} server bytes starting at {@code offset} twice: once in
     * place and again right after them, corrupting whatever framing the stream has.
     */
    public void duplicateServerBytesAt(long offset, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive, was " + count);
        }
        setFault(new Fault(Kind.DUPLICATE, Direction.SERVER_TO_CLIENT, requireOffset(offset), count));
    }

    /**
     * On every connection open now, the next bytes the target (server) sends after this call suffer
     * {@code fault}. Connections accepted later are not affected.
     */
    public void injectIntoNextServerBytes(LiveFault fault) {
        armLive(Direction.SERVER_TO_CLIENT, fault);
    }

    /**
     * On every connection open now, the next bytes the connecting side (client) sends after this call
     * suffer {@code fault}. Connections accepted later are not affected.
     */
    public void injectIntoNextClientBytes(LiveFault fault) {
        armLive(Direction.CLIENT_TO_SERVER, fault);
    }

    private void armLive(Direction direction, LiveFault fault) {
        lock.lock();
        try {
            for (Link link : links) {
                if (fault == LiveFault.STALL) {
                    link.released = false;
                }
                link.live.put(direction, fault);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Aborts every live proxied connection now, with a TCP reset to both sides. */
    public void killAll() {
        liveLinks().forEach(Link::abort);
    }

    /** Connections accepted since the proxy started, including refused ones. */
    public int acceptedConnections() {
        lock.lock();
        try {
            return accepted;
        } finally {
            lock.unlock();
        }
    }

    /** Proxied connections that have not ended yet. */
    public int openConnections() {
        lock.lock();
        try {
            return links.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until at least {@code n} connections have been accepted since the proxy started.
     *
     * @throws AssertionError if that does not happen within {@code timeout}
     */
    public void awaitAcceptedConnections(int n, Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            long left = timeout.toNanos();
            while (accepted < n) {
                if (left <= 0) {
                    throw new AssertionError("Proxy on port " + port + " accepted " + accepted
                            + " connections, expected at least " + n + " within " + timeout);
                }
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops listening, resets every live connection and joins every proxy thread.
     *
     * @throws IllegalStateException if a proxy thread is still running after a bounded wait (or after
     *                               an interrupt cut the wait short; the interrupt flag is kept)
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true; // from here on, accepted connections are closed rather than proxied
        } finally {
            lock.unlock();
        }
        try {
            server.close();
        } catch (IOException e) {
            // Keep going: the connections and threads below matter more than the listener.
            LOG.warn("Closing the fault proxy's listener on port {} failed", port, e);
        }
        killAll();
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        try {
            // Only the acceptor starts pumps, so once it has ended the set of pumps is complete.
            acceptor.join(remainingMillis(deadline));
            for (Thread pump : pumps) {
                pump.join(remainingMillis(deadline));
            }
        } catch (InterruptedException e) {
            // Stop waiting but keep the interrupt for the caller; threads still running are reported below.
            Thread.currentThread().interrupt();
        }
        List<String> alive = new ArrayList<>();
        for (Thread t : pumps) {
            if (t.isAlive()) {
                alive.add(t.getName());
            }
        }
        if (acceptor.isAlive()) {
            alive.add(acceptor.getName());
        }
        if (!alive.isEmpty()) {
            throw new IllegalStateException("Fault proxy threads still running " + JOIN_TIMEOUT
                    + " after close(): " + alive);
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        // join(0) would wait forever, so never ask for less than a millisecond.
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private static long requireOffset(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("byte offset must not be negative, was " + n);
        }
        return n;
    }

    private void setFault(Fault f) {
        lock.lock();
        try {
            fault = f;
        } finally {
            lock.unlock();
        }
    }

    private List<Link> liveLinks() {
        lock.lock();
        try {
            return new ArrayList<>(links);
        } finally {
            lock.unlock();
        }
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                // stopListening() or close() closed the listener; anything else is worth knowing about.
                if (!server.isClosed()) {
                    LOG.warn("Fault proxy on port {} stopped accepting connections", port, e);
                }
                return;
            }
            admit(client);
        }
    }

    private void admit(Socket client) {
        Link link = null;
        lock.lock();
        try {
            accepted++;
            changed.signalAll();
            if (!closed && fault.kind() != Kind.REFUSE) {
                // Registered before connecting, so killAll() and close() can reach its sockets at once.
                link = new Link(accepted, client, new Socket(), fault);
                links.add(link);
            }
        } finally {
            lock.unlock();
        }
        if (link == null) {
            closeSocket(client, false);
            return;
        }
        try {
            client.setTcpNoDelay(true);
            link.upstream.setTcpNoDelay(true);
            link.upstream.connect(target, CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            // The target is down, or killAll()/close() ended the link meanwhile: the client gets a reset.
            LOG.debug("Fault proxy on port {} could not connect to {}", port, target, e);
            link.abort();
            return;
        }
        startPump(link, Direction.CLIENT_TO_SERVER);
        startPump(link, Direction.SERVER_TO_CLIENT);
    }

    private void startPump(Link link, Direction direction) {
        Thread pump = new Thread(() -> link.pump(direction),
                "fault-proxy-" + port + "-" + link.id + "-" + direction.tag);
        pump.setDaemon(true);
        // Kept until they have ended, not just returned, so close() can join every one of them.
        pumps.removeIf(t -> !t.isAlive());
        pumps.add(pump);
        pump.start();
    }

    /** Closes a socket, with a TCP reset instead of a FIN if {@code reset}. */
    private static void closeSocket(Socket socket, boolean reset) {
        try (socket) {
            if (reset) {
                socket.setSoLinger(true, 0); // linger 0: close() sends RST and drops unsent data
            }
        } catch (IOException e) {
            // The connection is being torn down anyway and nothing else holds this socket: there is
            // nothing left to do about a failure to close it.
            LOG.debug("Closing {} failed", socket, e);
        }
    }

    /** One proxied connection: the accepted client socket, the socket to the target, two pumps. */
    private final class Link {
        final int id;
        final Socket client;
        final Socket upstream;
        final Fault fault;
        // Guarded by lock:
        boolean released;
        boolean ended;
        int pumpsEnded;
        final java.util.Map<Direction, LiveFault> live = new java.util.EnumMap<>(Direction.class);

        Link(int id, Socket client, Socket upstream, Fault fault) {
            this.id = id;
            this.client = client;
            this.upstream = upstream;
            this.fault = fault;
        }

        void pump(Direction direction) {
            boolean toServer = direction == Direction.CLIENT_TO_SERVER;
            try {
                copy((toServer ? client : upstream).getInputStream(), toServer ? upstream : client,
                        fault.direction() == direction ? fault : null, direction);
            } catch (IOException e) {
                // A peer reset, or killAll()/close() closed the sockets under this pump: pass it on to
                // both sides as a reset, as a broken network path would.
                abort();
            } finally {
                pumpEnded();
            }
        }

        /** Forwards one direction until end of stream, or until {@code pending} (may be null) ends it. */
        private void copy(InputStream in, Socket to, Fault pending, Direction direction) throws IOException {
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            ByteArrayOutputStream repeat = new ByteArrayOutputStream();
            long done = 0; // bytes forwarded in this direction so far
            while (true) {
                if (pending != null && done == pending.triggerOffset()) {
                    switch (pending.kind()) {
                        case RESET -> {
                            abort();
                            return;
                        }
                        case TRUNCATE -> {
                            to.shutdownOutput(); // FIN: a clean end of stream, only earlier than it should be
                            return;
                        }
                        case STALL -> awaitRelease();
                        case DUPLICATE -> out.write(repeat.toByteArray());
                        default -> throw new IllegalStateException("Not a per-direction fault: " + pending);
                    }
                    pending = null;
                }
                // Never read past the trigger offset: the fault must act at exactly that byte, and a
                // stall must leave everything after it unread.
                int max = pending == null ? buf.length : (int) Math.min(buf.length, pending.triggerOffset() - done);
                int n = in.read(buf, 0, max);
                if (n < 0) {
                    to.shutdownOutput(); // pass the half-close on
                    return;
                }
                if (pending != null && pending.kind() == Kind.DUPLICATE) {
                    long from = Math.max(done, pending.at()); // reads end at or before at + count
                    if (from < done + n) {
                        repeat.write(buf, (int) (from - done), (int) (done + n - from));
                    }
                }
                LiveFault liveFault = takeLive(direction);
                if (liveFault != null) {
                    switch (liveFault) {
                        case RESET -> {
                            abort();
                            return;
                        }
                        case TRUNCATE -> {
                            to.shutdownOutput();
                            return;
                        }
                        case STALL -> awaitRelease();
                        case DUPLICATE -> out.write(buf, 0, n);
                        default -> throw new IllegalStateException("Unknown live fault " + liveFault);
                    }
                }
                out.write(buf, 0, n);
                done += n;
            }
        }

        private LiveFault takeLive(Direction direction) {
            lock.lock();
            try {
                return live.remove(direction);
            } finally {
                lock.unlock();
            }
        }

        /** Blocks until forward() releases this link; throws if the link ends first. */
        private void awaitRelease() throws IOException {
            lock.lock();
            try {
                while (!released && !ended) {
                    changed.await();
                }
                if (ended) {
                    throw new IOException("connection ended while stalled");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while stalled");
            } finally {
                lock.unlock();
            }
        }

        /** Ends the connection with a TCP reset to both sides; does nothing if it has already ended. */
        void abort() {
            if (end()) {
                closeSocket(client, true);
                closeSocket(upstream, true);
            }
        }

        private void pumpEnded() {
            boolean bothDone;
            lock.lock();
            try {
                bothDone = ++pumpsEnded == 2;
            } finally {
                lock.unlock();
            }
            // Both directions reached end of stream (or a truncation): close normally.
            if (bothDone && end()) {
                closeSocket(client, false);
                closeSocket(upstream, false);
            }
        }

        /** Marks the link ended; true for the one caller that does so, which then closes its sockets. */
        private boolean end() {
            lock.lock();
            try {
                if (ended) {
                    return false;
                }
                ended = true;
                links.remove(this);
                changed.signalAll(); // wakes a stalled pump of this link
                return true;
            } finally {
                lock.unlock();
            }
        }
    }
}
