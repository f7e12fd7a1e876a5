package dev.halibut.runtime.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.StreamTransferListener;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.polling.Poller;
import dev.halibut.polling.SubscriberSession;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.transport.ConnectionPool;
import dev.halibut.transport.ReceivedStreamStore;
import dev.halibut.transport.ThumbprintTrust;
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

    private final int id = IDS.incrementAndGet();
    private final HalibutLimits limits;
    private final TlsContextFactory contexts;
    private final ThumbprintTrust trust = new ThumbprintTrust();
    private final MessageCodec codec = new MessageCodec();
    private final ReceivedStreamStore streams;
    private final ServiceInvoker invoker;
    private final RequestIds requestIds = new RequestIds();
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService asyncCalls;
    private final TlsConnector connector;
    private final ConnectionPool pool;
    private final ListeningCaller listeningCaller;
    private final List<TlsListener> listeners = new CopyOnWriteArrayList<>();
    private final PendingRequestQueue queue;
    private final PollingCaller pollingCaller;
    private final SubscriberSession subscriberSession;
    private final Set<PollingSubscriptionImpl> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pollerIds = new AtomicInteger();
    private volatile boolean closed;

    public DefaultHalibutRuntime(X509Certificate certificate, PrivateKey privateKey, Map<Class<?>, Object> services,
                                 List<String> trusted, HalibutLimits limits, PendingRequestQueue queue,
                                 StreamTransferListener progress, Path temporaryDirectory) {
        this.limits = limits;
        this.queue = queue;
        this.streams = new ReceivedStreamStore(temporaryDirectory);
        this.invoker = new ServiceInvoker(codec, streams, progress, limits);
        this.contexts = new TlsContextFactory(certificate, privateKey);
        services.forEach(invoker::register);
        trusted.forEach(trust::add);
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("halibut-" + id + "-timer"));
        this.timer.setRemoveOnCancelPolicy(true);
        AtomicInteger asyncIds = new AtomicInteger();
        this.asyncCalls = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon("halibut-" + id + "-async-" + asyncIds.incrementAndGet()).newThread(r));
        this.connector = new TlsConnector(contexts);
        this.pool = new ConnectionPool(connector, limits, timer);
        this.listeningCaller = new ListeningCaller(codec, pool, limits, streams, progress);
        this.pollingCaller = new PollingCaller(codec, queue, limits);
        this.subscriberSession = new SubscriberSession(queue, trust, limits, codec, streams, progress);
        LOG.info("Halibut runtime {} started with certificate {} ({})", id, contexts.thumbprint(),
                certificate.getSubjectX500Principal().getName());
    }

    @Override
    public int listen(int port) {
        return listen(new InetSocketAddress(port));
    }

    @Override
    public int listen(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        checkOpen();
        TlsListener listener = new TlsListener(contexts.serverContext(trust), trust, limits,
                new RequestServer(invoker, subscriberSession, trust, limits), timer);
        try {
            InetSocketAddress bound = listener.bind(address);
            listeners.add(listener);
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
    public <T> ServiceRegistration register(Class<T> contract, T implementation) {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(implementation, "implementation");
        checkOpen();
        Runnable withdraw = invoker.register(contract, implementation);
        String name = Contracts.serviceName(contract);
        LOG.info("Runtime {} serves {} as '{}'", id, contract.getName(), name);
        return new ServiceRegistration() {
            private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

            @Override
            public String serviceName() {
                return name;
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    withdraw.run();
                    LOG.info("Runtime {} no longer serves '{}'", id, name);
                }
            }
        };
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
    public <T> T createClient(Class<T> contract, ServiceEndPoint endpoint) {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(endpoint, "endpoint");
        if (!contract.isInterface()) {
            throw new IllegalArgumentException(contract.getName() + " is not an interface; a service contract must be one");
        }
        checkOpen();
        ClientInvocationHandler.Transport transport = endpoint.isPolling() ? pollingCaller::call : listeningCaller::call;
        return ClientInvocationHandler.create(contract, new ClientInvocationHandler(contract, endpoint, codec,
                transport, requestIds, asyncCalls));
    }

    @Override
    public PollingSubscription poll(URI subscription, ServiceEndPoint listener, int connections) {
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(listener, "listener");
        if (!"poll".equalsIgnoreCase(subscription.getScheme()) || subscription.getAuthority() == null) {
            throw new IllegalArgumentException(subscription + " is not a subscription: use poll://subscription-id/");
        }
        if (listener.isPolling()) {
            throw new IllegalArgumentException("Polling needs the listener's https:// endpoint, not " + listener.baseUri());
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be at least 1, was " + connections);
        }
        checkOpen();
        HalibutLimits pollLimits = listener.limitsOr(limits);
        List<Poller> pollers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            pollers.add(new Poller(connector, listener, subscription, pollLimits,
                    invoker::serve,
                    "halibut-" + id + "-poll-" + pollerIds.incrementAndGet() + "-" + subscription.getAuthority()));
        }
        PollingSubscriptionImpl s = new PollingSubscriptionImpl(subscription, listener, pollers, subscriptions::remove);
        subscriptions.add(s);
        pollers.forEach(Poller::start);
        if (closed) {
            s.close();
            checkOpen();
        }
        return s;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (PollingSubscriptionImpl s : List.copyOf(subscriptions)) {
            s.close();
        }
        queue.close();
        for (TlsListener l : listeners) {
            l.close();
        }
        connector.close();
        pool.close();
        // Queue, pool and connector are closed, so every async call in flight ends promptly with a
        // "closed" error; let them finish rather than interrupt them mid-way (which garbles the error).
        asyncCalls.shutdown();
        timer.shutdownNow();
        streams.close();
        try {
            if (!asyncCalls.awaitTermination(5, TimeUnit.SECONDS)) {
                asyncCalls.shutdownNow();
                if (!asyncCalls.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("Runtime {}: async call threads did not end within 10 s of close()", id);
                }
            }
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Runtime {}: timer thread did not end within 5 s of close()", id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("Halibut runtime {} closed", id);
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
