package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.StreamTransferListener;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * The set-up of the transport tests that need real connections: a {@link TlsListener} on a free loopback port and
 * a {@link TlsConnector}, with test certificates (the client's trusted by the listener), and what a test's serving
 * side does with each connection the listener accepts. Owns everything it creates (the listener with its worker
 * threads and event loops, the connector, a timer, the connections of {@link #pair()}, the stream stores of
 * {@link #exchanges}) and closes all of it in {@link #close()}.
 */
final class TransportFixture implements AutoCloseable {

    static final TlsListenerTest.TestCert SERVER = TlsListenerTest.TestCert.create("server");
    static final TlsListenerTest.TestCert CLIENT = TlsListenerTest.TestCert.create("client");
    /** Long enough for any step of a test on a slow, shared machine; only a bound, never waited out. */
    static final Duration LONG = Duration.ofSeconds(30);

    /** What the serving side does with one connection, blocking, on one of the listener's worker threads. */
    @FunctionalInterface
    interface Service {
        void serve(Connection c) throws IOException;
    }

    private final ThumbprintTrust trust = new ThumbprintTrust();
    /** For what the tests build on the connector that needs one (a {@link ConnectionPool}'s evictor). */
    private final ScheduledExecutorService timer = new ScheduledThreadPoolExecutor(1);
    private final List<AutoCloseable> owned = new ArrayList<>();
    /** Connections the listener accepted, for {@link #pair()} (only when made with {@link #accepting()}). */
    private final BlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
    /** One permit for each served connection that has ended (its service returned or failed, and it was closed). */
    private final Semaphore servedConnections = new Semaphore(0);
    private final TlsListener listener;
    private final TlsConnector connector;
    private final int port;

    /**
     * A fixture whose listener hands each connection of a caller ({@code HALIBUT-CLIENT}) to {@code service} on one of
     * its worker threads, and closes the connection once the service returns or throws an {@link IOException} (the
     * peer went away or broke the protocol).
     */
    static TransportFixture serving(Service service) {
        return new TransportFixture(null, null, service);
    }

    /**
     * A fixture whose listener keeps each connection it accepts for {@link #pair()}, serving none: both ends of a
     * connection are the test's to drive.
     */
    static TransportFixture accepting() {
        return new TransportFixture(null, null, null);
    }

    /**
     * As {@link #serving}, with the listener's and the connector's event loops (one thread each) on the named I/O
     * transports ({@code auto}, {@code nio} or {@code epoll}; see {@link EventLoops}).
     */
    static TransportFixture serving(Service service, String listenerIo, String connectorIo) {
        return new TransportFixture(listenerIo, connectorIo, service);
    }

    private TransportFixture(String listenerIo, String connectorIo, Service service) {
        trust.add(CLIENT.thumbprint());
        ConnectionHandler h = service != null ? onWorkers(service) : keepForPairs();
        TlsContextFactory server = new TlsContextFactory(SERVER.certificate(), SERVER.keys().getPrivate());
        TlsContextFactory client = new TlsContextFactory(CLIENT.certificate(), CLIENT.keys().getPrivate());
        HalibutLimits limits = HalibutLimits.defaults();
        try {
            if (listenerIo == null) {
                listener = new TlsListener(server.serverContext(trust), trust, limits, h, timer);
                connector = new TlsConnector(client);
            } else {
                EventLoops listenerLoops = own(new EventLoops("test-listener", 1, listenerIo));
                EventLoops connectorLoops = own(new EventLoops("test-connector", 1, connectorIo));
                listener = new TlsListener(server.serverContext(trust), trust, limits, h, listenerLoops,
                        TlsListener.budgetOf(limits));
                connector = new TlsConnector(client, new TlsConnector.Listener() {
                }, TlsListener.budgetOf(limits), connectorLoops);
            }
            // Closed before the loops they run on (close() closes in the reverse order of ownership).
            own(listener);
            own(connector);
            port = listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).getPort();
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? new java.io.UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** Runs {@code service} on one of the listener's workers, then closes the connection and counts it ended. */
    private ConnectionHandler onWorkers(Service service) {
        return forCallers((c, workers) -> workers.execute(() -> {
            try {
                service.serve(c);
            } catch (IOException e) {
                // the peer went away or broke the protocol: the connection is closed below
            } finally {
                c.close();
                servedConnections.release();
            }
        }));
    }

    /** Keeps each connection for {@link #pair()}. */
    private ConnectionHandler keepForPairs() {
        return forCallers((c, workers) -> accepted.add(c));
    }

    /** A handler of callers' ({@code HALIBUT-CLIENT}) connections, each given to {@code connected}. */
    private static ConnectionHandler forCallers(BiConsumer<Connection, Executor> connected) {
        return new ConnectionHandler() {
            @Override
            public boolean accepts(Identification.Role role) {
                return role == Identification.Role.CLIENT;
            }

            @Override
            public void connected(Connection c, Identification peer, Executor workers) {
                connected.accept(c, workers);
            }
        };
    }

    private synchronized <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    int port() {
        return port;
    }

    TlsConnector connector() {
        return connector;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** The listener's endpoint ({@code https://localhost:port/} with the server's thumbprint). */
    ServiceEndPoint endpoint() {
        return new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), SERVER.thumbprint());
    }

    ServiceEndPoint endpoint(HalibutLimits limits) {
        return endpoint().withLimits(limits);
    }

    /** A new connection to the listener as a caller, with default limits; the test closes it (or the fixture does). */
    Connection connect() {
        return connect(HalibutLimits.defaults());
    }

    Connection connect(HalibutLimits limits) {
        return own(connector.connect(endpoint(limits), Identification.client(), limits));
    }

    /** Both ends of one new connection (of a fixture made with {@link #accepting()}). */
    record Pair(Connection client, Connection server) {
    }

    Pair pair() {
        Connection client = connect();
        try {
            Connection server = accepted.poll(LONG.toNanos(), TimeUnit.NANOSECONDS);
            if (server == null) {
                throw new AssertionError("The listener did not hand over the connection within " + LONG
                        + " (is this fixture made with accepting()?)");
            }
            return new Pair(client, own(server));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while waiting for the accepted connection", e);
        }
    }

    /**
     * Waits until {@code count} more served connections have ended (their service returned or failed and they were
     * closed), at most {@link #LONG}.
     */
    boolean awaitServedConnectionsEnded(int count) throws InterruptedException {
        return servedConnections.tryAcquire(count, LONG.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The exchange's two sides, with stream stores under {@code temp} that this fixture closes. */
    record Exchanges(MessageCodec codec, ReceivedStreamStore clientStreams, ReceivedStreamStore serverStreams,
                     RequestExchange exchange, ServingExchange serving) {
    }

    Exchanges exchanges(Path temp) {
        MessageCodec codec = new MessageCodec();
        ReceivedStreamStore clientStreams = own(new ReceivedStreamStore(temp.resolve("client")));
        ReceivedStreamStore serverStreams = own(new ReceivedStreamStore(temp.resolve("server")));
        return new Exchanges(codec, clientStreams, serverStreams,
                new RequestExchange(codec, clientStreams, StreamTransferListener.NONE),
                new ServingExchange(codec, serverStreams, StreamTransferListener.NONE));
    }

    /**
     * Waits, bounded by {@link #LONG}, until {@code condition} holds (for what has no event to wait on, such as what
     * the operating system has seen of the peer); fails the test naming {@code what} if it does not.
     */
    static void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + LONG + " waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * Closes everything this fixture made, the last made first: connections, stores, connector, listener, loops; and
     * the accepted connections no {@link #pair()} took.
     */
    @Override
    public void close() {
        List<AutoCloseable> all;
        synchronized (this) {
            all = new ArrayList<>(owned);
            owned.clear();
        }
        for (Connection c; (c = accepted.poll()) != null; ) {
            c.close();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("Closing " + all.get(i) + " failed", e);
            }
        }
        timer.shutdownNow();
    }

    /**
     * A serving side for exchange tests: reads frames until one is not a REQUEST (or the connection ends), handing
     * each REQUEST to the test's {@link Behaviour}; optionally ends each connection with END as soon as it is
     * identified (and keeps reading, to see whether a request still comes). Counts the REQUESTs it read.
     */
    static final class RequestLoop implements Service {

        /** What the serving side does with one request; whether to keep serving the connection. */
        @FunctionalInterface
        interface Behaviour {
            boolean onRequest(Connection c, Frame request) throws IOException;
        }

        private final AtomicInteger requestsRead = new AtomicInteger();
        private volatile Behaviour behaviour = (c, f) -> true;
        private volatile boolean endAtOnce;

        void behaviour(Behaviour b) {
            behaviour = b;
        }

        void endAtOnce() {
            endAtOnce = true;
        }

        /** REQUEST frames read so far, over all connections. */
        AtomicInteger requestsRead() {
            return requestsRead;
        }

        @Override
        public void serve(Connection c) throws IOException {
            if (endAtOnce) {
                c.sendControl(FrameType.END);
            }
            while (true) {
                Frame f = c.readFrame(LONG);
                if (f.type() == FrameType.REQUEST) {
                    requestsRead.incrementAndGet();
                }
                if (f.type() != FrameType.REQUEST || !behaviour.onRequest(c, f)) {
                    return;
                }
            }
        }
    }
}
