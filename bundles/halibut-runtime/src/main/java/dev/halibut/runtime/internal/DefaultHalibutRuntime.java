package dev.halibut.runtime.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.transport.ConnectionPool;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsConnector;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.transport.TlsListener;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
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
    private final ServiceInvoker invoker = new ServiceInvoker(codec);
    private final RequestIds requestIds = new RequestIds();
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService asyncCalls;
    private final TlsConnector connector;
    private final ConnectionPool pool;
    private final ListeningCaller listeningCaller;
    private final List<TlsListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public DefaultHalibutRuntime(X509Certificate certificate, PrivateKey privateKey, Map<Class<?>, Object> services,
                                 List<String> trusted, HalibutLimits limits) {
        this.limits = limits;
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
        this.listeningCaller = new ListeningCaller(codec, pool, limits);
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
                new RequestServer(codec, invoker, trust, limits), timer);
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
        if (endpoint.isPolling()) {
            throw new IllegalArgumentException("Cannot call " + endpoint.baseUri()
                    + ": poll:// endpoints are not supported by this version of the runtime yet; use an https:// endpoint");
        }
        checkOpen();
        return ClientInvocationHandler.create(contract, new ClientInvocationHandler(contract, endpoint, codec,
                listeningCaller::call, requestIds, asyncCalls));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (TlsListener l : listeners) {
            l.close();
        }
        connector.close();
        pool.close();
        asyncCalls.shutdownNow();
        timer.shutdownNow();
        try {
            if (!asyncCalls.awaitTermination(5, TimeUnit.SECONDS) || !timer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Runtime {}: some threads did not end within 5 s of close()", id);
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
