package dev.halibut.runtime.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.StreamTransferListener;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.polling.internal.Poller;
import dev.halibut.polling.internal.PollingWorkers;
import dev.halibut.polling.internal.SubscriberSession;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.HalibutClientException;
import dev.halibut.runtime.ConnectionLogEntry;
import dev.halibut.runtime.ExportDescription;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.PingResult;
import dev.halibut.runtime.RuntimeStatus;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ConnectionPool;
import dev.halibut.transport.ExchangeException;
import dev.halibut.transport.RequestExchange;
import dev.halibut.DataStream;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.Identification;
import dev.halibut.wire.IncomingResponse;
import java.lang.reflect.Type;
import java.time.Duration;
import dev.halibut.transport.ReceivedStreamStore;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.EventLoops;
import dev.halibut.transport.TlsConnector;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.transport.TlsListener;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root behind {@link HalibutRuntime}: owns every listener, connection and thread. */
public final class DefaultHalibutRuntime implements HalibutRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(DefaultHalibutRuntime.class);
    private static final AtomicInteger IDS = new AtomicInteger();
    /**
     * How long a polling worker thread with nothing to do stays for the next request or connect. Short: the threads
     * are shared by all subscriptions, and a subscription that closes must leave none of its threads behind for
     * long; a new thread costs far less than the call it serves.
     */
    private static final Duration POLLING_WORKER_KEEP_ALIVE = Duration.ofSeconds(1);

    private final int id = IDS.incrementAndGet();
    private final HalibutLimits limits;
    private final TlsContextFactory contexts;
    private final ThumbprintTrust trust = new ThumbprintTrust();
    private final MessageCodec codec = new MessageCodec();
    private final ReceivedStreamStore streams;
    private final ExportTable exports;
    private final ServiceInvoker invoker;
    private final RequestIds requestIds = new RequestIds();
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService asyncCalls;
    private final dev.halibut.wire.MessageMemoryBudget messageBudget;
    private final EventLoops loops;
    private final TlsConnector connector;
    private final ConnectionPool pool;
    /** The requesting side of every exchange this runtime starts: calls, pings, requests handed to subscribers. */
    private final RequestExchange requestExchange;
    private final ListeningCaller listeningCaller;
    private final List<TlsListener> listeners = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> boundAddresses = new CopyOnWriteArrayList<>();
    private final Telemetry telemetry;
    private final ObservedQueue queue;
    /** Connections of pings in flight: not pooled, so close() aborts them itself. */
    private final Set<Connection> pingConnections = ConcurrentHashMap.newKeySet();
    private final PollingCaller pollingCaller;
    private final SubscriberSession subscriberSession;
    private final Set<PollingSubscriptionImpl> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pollerIds = new AtomicInteger();
    /** The threads all pollers share to connect and to serve requests; an idle polling connection holds none. */
    private final PollingWorkers pollingWorkers;
    /** The service calls that arrive through this runtime's listeners; each subscription has its own. */
    private final RunningCalls listenerCalls = new RunningCalls();
    private volatile boolean closed;
    /** The runtime's HTTP proxy for outgoing connections, or null. */
    private final dev.halibut.HttpProxy proxy;

    public DefaultHalibutRuntime(X509Certificate certificate, PrivateKey privateKey, String tlsProvider,
                                 Map<Class<?>, Object> services,
                                 List<String> trusted, HalibutLimits limits, PendingRequestQueue queue,
                                 StreamTransferListener progress, Path temporaryDirectory, List<HalibutObserver> observers,
                                 dev.halibut.HttpProxy proxy) {
        this.limits = limits;
        this.proxy = proxy;
        this.telemetry = new Telemetry(observers, CONNECTION_LOG_SIZE, CONNECTION_LOG_ENDPOINTS, proxy);
        this.queue = new ObservedQueue(queue, telemetry);
        this.streams = new ReceivedStreamStore(temporaryDirectory);
        this.exports = new ExportTable(java.util.UUID.randomUUID().toString());
        this.invoker = new ServiceInvoker(codec, streams, progress, limits, telemetry, exports);
        this.contexts = new TlsContextFactory(certificate, privateKey, tlsProvider);
        services.forEach((contract, implementation) -> invoker.register(contract, implementation, Map.of()));
        trusted.forEach(trust::add);
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("halibut-" + id + "-timer"));
        this.timer.setRemoveOnCancelPolicy(true);
        AtomicInteger asyncIds = new AtomicInteger();
        this.asyncCalls = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon("halibut-" + id + "-async-" + asyncIds.incrementAndGet()).newThread(r));
        // One budget for the incomplete messages of all this runtime's connections, listening and calling.
        this.messageBudget = TlsListener.budgetOf(limits);
        // A few event-loop threads do the I/O of all this runtime's connections, listening and calling.
        this.loops = new EventLoops("halibut-" + id + "-io");
        this.connector = new TlsConnector(contexts, telemetry, messageBudget, loops, proxy);
        this.pool = new ConnectionPool(connector, limits, timer);
        this.requestExchange = new RequestExchange(codec, streams, progress);
        this.listeningCaller = new ListeningCaller(requestExchange, pool, limits, telemetry);
        this.pollingCaller = new PollingCaller(codec, this.queue, limits);
        this.subscriberSession = new SubscriberSession(this.queue, trust, limits, requestExchange);
        this.pollingWorkers = new PollingWorkers("halibut-" + id + "-poll-", POLLING_WORKER_KEEP_ALIVE, timer);
        LOG.info("Halibut runtime {} started with certificate {} ({}), I/O on {}{}", id, contexts.thumbprint(),
                certificate.getSubjectX500Principal().getName(), loops.transportName(),
                proxy == null ? "" : ", outgoing connections through " + proxy);
    }

    @Override
    public int listen(int port) {
        return listen(new InetSocketAddress(port));
    }

    @Override
    public int listen(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        checkOpen();
        RequestServer server = new RequestServer(invoker, subscriberSession, trust, limits, telemetry, listenerCalls);
        TlsListener listener = new TlsListener(contexts.serverContext(trust), trust, limits, server, loops,
                messageBudget);
        try {
            InetSocketAddress bound = listener.bind(address);
            server.bound(EndpointKeys.listener(bound));
            listeners.add(listener);
            boundAddresses.add(bound);
            if (closed) {
                listener.close();
                checkOpen();
            }
            return bound.getPort();
        } catch (IOException e) {
            listener.close();
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public <T> ServiceRegistration register(Class<T> contract, T implementation, Map<String, ?> properties) {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(implementation, "implementation");
        Objects.requireNonNull(properties, "properties");
        checkOpen();
        ExportTable.Export export = invoker.register(contract, implementation, properties);
        LOG.info("Runtime {} serves {} as '{}' (endpoint id {})", id, contract.getName(), export.serviceName,
                export.endpointId);
        return new ServiceRegistration() {
            private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

            @Override
            public String serviceName() {
                return export.serviceName;
            }

            @Override
            public String endpointId() {
                return export.endpointId;
            }

            @Override
            public String address() {
                return export.address;
            }

            @Override
            public void setProperties(Map<String, ?> properties) {
                Objects.requireNonNull(properties, "properties");
                if (!closed.get()) {
                    exports.setProperties(export, properties);
                }
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    exports.remove(export);
                    LOG.info("Runtime {} no longer serves '{}'", id, export.address);
                }
            }
        };
    }

    @Override
    public List<ExportDescription> describe(ServiceEndPoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        List<Description.Endpoint> answer = createClient(Description.Service.class, endpoint).describe();
        try {
            return Description.read(answer);
        } catch (IllegalArgumentException e) {
            throw new HalibutClientException("The description of " + endpoint.baseUri() + " (" + Description.SERVICE
                    + ") is not valid: " + e.getMessage(), e);
        }
    }

    @Override
    public void trust(String thumbprint) {
        if (trust.add(thumbprint)) {
            LOG.info("Runtime {} now trusts {}", id, thumbprint);
        }
    }

    @Override
    public void removeTrust(String thumbprint) {
        if (trust.remove(thumbprint)) {
            LOG.info("Runtime {} no longer trusts {}", id, thumbprint);
            subscriberSession.trustChanged(); // its waiting subscriber connections end now, with END
        }
    }

    @Override
    public boolean isTrusted(String thumbprint) {
        return trust.isTrusted(thumbprint);
    }

    @Override
    public Set<String> trustedThumbprints() {
        return trust.snapshot();
    }

    @Override
    public String thumbprint() {
        return contexts.thumbprint();
    }

    @Override
    public X509Certificate certificate() {
        return contexts.certificate();
    }

    @Override
    public HalibutLimits limits() {
        return limits;
    }

    @Override
    public String route(ServiceEndPoint endpoint) {
        return Routes.of(Objects.requireNonNull(endpoint, "endpoint"), proxy);
    }

    @Override
    public <T> T createClient(Class<T> contract, ServiceEndPoint endpoint) {
        Objects.requireNonNull(contract, "contract");
        return createClient(contract, endpoint, Contracts.serviceName(contract));
    }

    @Override
    public <T> T createClient(Class<T> contract, ServiceEndPoint endpoint, String address) {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(address, "address");
        if (address.isBlank()) {
            throw new IllegalArgumentException("The service address for " + contract.getName() + " is blank");
        }
        if (!contract.isInterface()) {
            throw new IllegalArgumentException(contract.getName() + " is not an interface; a service contract must be one");
        }
        checkOpen();
        ClientInvocationHandler.Transport transport = endpoint.isPolling() ? pollingCaller::call : listeningCaller::call;
        return ClientInvocationHandler.create(contract, new ClientInvocationHandler(contract, address, endpoint, codec,
                transport, requestIds, asyncCalls, telemetry));
    }

    @Override
    public PollingSubscription poll(URI subscription, ServiceEndPoint listener, int connections) {
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(listener, "listener");
        if (!"poll".equalsIgnoreCase(subscription.getScheme()) || subscription.getAuthority() == null) {
            throw new IllegalArgumentException(subscription + " is not a subscription: use poll://subscription-id/");
        }
        if (listener.isPolling()) {
            throw new IllegalArgumentException("Polling needs the listener's https:// (or wss://) endpoint, not " + listener.baseUri());
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be at least 1, was " + connections);
        }
        checkOpen();
        HalibutLimits pollLimits = listener.limitsOr(limits);
        List<Poller> pollers = new ArrayList<>();
        RunningCalls calls = new RunningCalls();
        for (int i = 0; i < connections; i++) {
            String key = EndpointKeys.of(subscription);
            pollers.add(new Poller(connector, listener, subscription, pollLimits,
                    (connection, frame) -> invoker.serve(connection, frame, key, calls), pollingWorkers,
                    "halibut-" + id + "-poller-" + pollerIds.incrementAndGet() + "-" + subscription.getAuthority()));
        }
        PollingSubscriptionImpl s = new PollingSubscriptionImpl(subscription, listener, pollers, calls, subscriptions::remove);
        subscriptions.add(s);
        pollers.forEach(Poller::start);
        if (closed) {
            s.close();
            checkOpen();
        }
        return s;
    }

    /**
     * Bounded by {@link HalibutRuntime#CLOSE_TIMEOUT} (see its Javadoc for what callers see): first nothing new
     * starts and running service calls are interrupted and given half the bound to answer; then every
     * connection is closed at once; then the threads are waited for until the bound.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CloseDeadlines deadlines = CloseDeadlines.startingNow();
        List<PollingSubscriptionImpl> subs = new ArrayList<>();
        for (PollingSubscriptionImpl s : List.copyOf(subscriptions)) {
            if (s.markClosed()) {
                subs.add(s);
            }
        }
        List<String> stillRunning = new ArrayList<>();
        boolean interrupted = false;
        // 1. Nothing new: no accepting, no polling; running service calls are interrupted and may answer.
        listeners.forEach(TlsListener::stopAccepting);
        subs.forEach(PollingSubscriptionImpl::stop);
        listenerCalls.cancel();
        // Subscriber connections end cleanly with END (protocol.md, frame table): at once when idle, after
        // their response when in an exchange; what is still in one at the grace's end is aborted below.
        subscriberSession.beginClose();
        try {
            listenerCalls.awaitNone(deadlines.graceEnd());
            subscriberSession.awaitEnded(deadlines.graceEnd());
            for (PollingSubscriptionImpl s : subs) {
                s.awaitCalls(deadlines.graceEnd());
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        // 2. Every connection closes now; calls still running lose their responses, calls we make fail.
        subs.forEach(PollingSubscriptionImpl::abort);
        queue.close();
        listeners.forEach(TlsListener::shutdown);
        connector.close();
        pool.close();
        pingConnections.forEach(Connection::abort);
        // Queue, pool and connector are closed, so every async call in flight ends promptly with a
        // "closed" error; let them finish rather than interrupt them mid-way (which garbles the error).
        asyncCalls.shutdown();
        // 3. Wait for the threads, until the bound.
        try {
            if (!interrupted) {
                for (PollingSubscriptionImpl s : subs) {
                    stillRunning.addAll(s.awaitPollers(deadlines.end()));
                }
                pollingWorkers.shutdown();
                pollingWorkers.awaitTermination(deadlines.remaining());
                for (TlsListener l : listeners) {
                    l.awaitTermination(deadlines.remaining());
                }
                if (!asyncCalls.awaitTermination(deadlines.remaining().toNanos(), TimeUnit.NANOSECONDS)) {
                    asyncCalls.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        pollingWorkers.shutdown(); // also when interrupted above; a thread still serving a call ends with it
        if (interrupted) {
            asyncCalls.shutdownNow();
            Thread.currentThread().interrupt();
        }
        subs.forEach(subscriptions::remove);
        timer.shutdownNow();
        try {
            if (!interrupted) {
                timer.awaitTermination(deadlines.remaining().toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Every connection is closed: the event loops have nothing left to do.
        loops.close();
        // Last, when no thread of ours can be receiving a stream any more: delete what was received.
        streams.close();
        stillRunning.addAll(listenerCalls.threadNames());
        if (!stillRunning.isEmpty()) {
            LOG.warn("Halibut runtime {} closed, but service calls that ignore interruption still run on {} (daemon"
                    + " threads); each ends when its call returns, and its response is dropped. Make such services"
                    + " respond to Thread.interrupt()", id, stillRunning);
        }
        LOG.info("Halibut runtime {} closed", id);
    }

    @Override
    public RuntimeStatus status() {
        List<RuntimeStatus.Subscription> subs = new ArrayList<>();
        for (PollingSubscriptionImpl s : subscriptions) {
            subs.add(new RuntimeStatus.Subscription(s.subscription(), s.listener().baseUri(),
                    s.listener().remoteThumbprint(), s.connections(), s.connectedCount(), route(s.listener())));
        }
        subs.sort(java.util.Comparator.comparing((RuntimeStatus.Subscription s) -> s.subscription().toString())
                .thenComparing(s -> s.listener().toString()));
        return new RuntimeStatus(java.time.Instant.now(), thumbprint(), List.copyOf(boundAddresses), trust.snapshot(),
                invoker.serviceNames(), telemetry.outbound(), telemetry.inbound(), subs, queue.snapshot());
    }

    @Override
    public List<ConnectionLogEntry> connectionLog(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        return telemetry.log().entries(EndpointKeys.parse(endpoint));
    }

    @Override
    public List<String> connectionLogEndpoints() {
        return telemetry.log().endpoints();
    }

    @Override
    public void addObserver(HalibutObserver observer) {
        telemetry.observers().add(Objects.requireNonNull(observer, "observer"));
    }

    @Override
    public void removeObserver(HalibutObserver observer) {
        telemetry.observers().remove(Objects.requireNonNull(observer, "observer"));
    }

    @Override
    public PingResult ping(ServiceEndPoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        checkOpen();
        HalibutLimits l = endpoint.limitsOr(limits);
        String id = requestIds.next();
        String what = "Ping of " + endpoint.baseUri();
        EncodedMessage request;
        try {
            request = codec.encodeRequest(id, ServiceInvoker.PING_SERVICE, ServiceInvoker.PING_METHOD, new Type[0],
                    new Object[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CallTrace trace = new CallTrace(ServiceInvoker.PING_SERVICE, ServiceInvoker.PING_METHOD, what);
        long start = System.nanoTime();
        if (endpoint.isPolling()) {
            // The answer is immediate: waiting for it longer than a heartbeat would hide a stuck service host.
            Reply reply = pollingCaller.call(endpoint.withLimits(l.withResponseTimeout(l.heartbeatTimeout())), id, request,
                    trace);
            long end = System.nanoTime();
            checkPingAnswer(what, reply.response());
            long collected = trace.collectedNanos != 0 ? trace.collectedNanos : start;
            return new PingResult(endpoint, null, Duration.ofNanos(collected - start), Duration.ofNanos(end - collected));
        }
        Connection c = connector.connect(endpoint, Identification.client(), l);
        long connected = System.nanoTime();
        pingConnections.add(c);
        telemetry.inUse(c, true);
        try {
            if (closed) {
                throw new HalibutClientException(what + " abandoned: the runtime is closed");
            }
            RequestExchange.Response answer;
            try {
                answer = requestExchange.call(c, id, request, l.heartbeatTimeout());
            } catch (ExchangeException e) {
                if (e.kind() == ExchangeException.Kind.NO_RESPONSE) {
                    throw new HalibutClientException(what + ": connected in " + Durations.human(Duration.ofNanos(connected - start))
                            + ", but no answer came within " + l.heartbeatTimeout() + " (heartbeatTimeout)", e.getCause());
                }
                throw new HalibutClientException(what + ": connected in " + Durations.human(Duration.ofNanos(connected - start))
                        + ", but the exchange failed: " + e.getCause(), e.getCause());
            }
            long end = System.nanoTime();
            if (!answer.streams().isEmpty()) {
                answer.streams().values().forEach(DataStream::discard);
                throw new HalibutClientException(what + ": the answer is not the ping's response (it carries streams)");
            }
            checkPingAnswer(what, answer.envelope());
            telemetry.inUse(c, false);
            c.closeGracefully();
            return new PingResult(endpoint, Duration.ofNanos(connected - start), null, Duration.ofNanos(end - connected));
        } finally {
            pingConnections.remove(c);
            c.close();
        }
    }

    /** A peer without the built-in ping answers service-not-found: that completes the round trip too. */
    private static void checkPingAnswer(String what, IncomingResponse response) {
        if (response.error() != null && response.error().kind() != ErrorKind.SERVICE_NOT_FOUND) {
            throw new HalibutClientException(what + ": the peer answered with an error: " + response.error().kind()
                    + " " + response.error().message());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This Halibut runtime is closed");
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
