package dev.halibut.runtime;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.StreamTransferListener;
import dev.halibut.runtime.internal.DefaultHalibutRuntime;
import dev.halibut.polling.InMemoryPendingRequestQueue;
import dev.halibut.polling.PendingRequestQueue;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Halibut node: it serves its registered services to trusted callers and calls services on other
 * nodes. Either side may be the TCP listener; which one is decided by the endpoint, not by the code.
 *
 * <pre>{@code
 * try (HalibutRuntime octopus = HalibutRuntime.builder().certificate(bobP12, pw).build();
 *      HalibutRuntime tentacle = HalibutRuntime.builder().certificate(aliceP12, pw)
 *              .service(Calculator.class, new CalculatorImpl()).build()) {
 *     int port = tentacle.listen(0);
 *     tentacle.trust(octopus.thumbprint());
 *     Calculator calc = octopus.createClient(Calculator.class,
 *             new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
 *     calc.add(1, 2);
 * }
 * }</pre>
 *
 * <p>A runtime is thread-safe. {@link #close()} ends every thread and socket it owns within
 * {@link #CLOSE_TIMEOUT}; calls in flight fail with a {@link dev.halibut.HalibutClientException}.
 *
 * <p>Calls behave like local calls where the wire allows (see {@link #createClient}): generic contracts
 * bind their type arguments, {@code Optional} stays {@code Optional}, values bind exactly or not at all,
 * and exceptions a contract method declares are rethrown as themselves.
 */
public interface HalibutRuntime extends AutoCloseable {

    /** A builder for a runtime. */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Listens on all interfaces.
     *
     * @param port the port, or 0 for any free port
     * @return the bound port
     * @throws java.io.UncheckedIOException the port cannot be bound
     */
    int listen(int port);

    /**
     * Listens on one address.
     *
     * @return the bound port
     * @throws java.io.UncheckedIOException the address cannot be bound
     */
    int listen(InetSocketAddress address);

    /**
     * Starts serving {@code implementation} under {@code contract}'s wire name, at once. Closing the
     * returned registration stops serving it (calls already running finish). Arguments are bound to, and
     * results encoded as, the method types as {@code contract} sees them (type arguments of generic
     * super-interfaces resolved), never as the implementation class declares them.
     *
     * @throws IllegalArgumentException {@code contract} is not an interface, or its wire name is reserved or
     *                                  served for another contract
     */
    default <T> ServiceRegistration register(Class<T> contract, T implementation) {
        return register(contract, implementation, Map.of());
    }

    /**
     * Starts serving {@code implementation} as an export with properties, which peers read with
     * {@link #describe}. Several implementations of one contract may be served at once: each export is
     * reachable at its own address ({@link ServiceRegistration#address()}), and the plain wire name reaches
     * the export with the highest {@code service.ranking} (an {@code Integer}; 0 when absent), the earliest
     * registered among equals.
     *
     * @param properties what {@link #describe} reports for this export; {@code endpoint.id} (a String) chooses
     *                   the export's id (default: a random UUID), {@code endpoint.service.id} (a Long) and
     *                   {@code endpoint.framework.uuid} (a String) default to a per-runtime sequence number and
     *                   id. Values: see {@link ExportDescription#properties()}; others are described as their
     *                   {@code String} form
     * @throws IllegalArgumentException {@code contract} is not an interface, its wire name is reserved or served
     *                                  for another contract, or the endpoint id already serves it
     */
    <T> ServiceRegistration register(Class<T> contract, T implementation, Map<String, ?> properties);

    /** A service served by {@link #register}; closing it withdraws the service. */
    interface ServiceRegistration extends AutoCloseable {
        /** The wire name the service is served under (shared by every export of the same contract). */
        String serviceName();

        /** The export's id, unique among this runtime's exports and stable until it is closed. */
        String endpointId();

        /** The wire address that reaches exactly this export: {@code serviceName@endpointId}. */
        String address();

        /**
         * Replaces the properties {@link #describe} reports for this export (the endpoint id stays), e.g. when
         * the exported OSGi service's properties change. A new {@code service.ranking} applies at once.
         */
        void setProperties(Map<String, ?> properties);

        @Override
        void close();
    }

    /**
     * Reads what {@code endpoint} exports, by calling its built-in {@code halibut.describe} service: one entry
     * per export, in the order they were registered there.
     *
     * @throws dev.halibut.ServiceNotFoundException the peer does not have the built-in service (an older version)
     * @throws dev.halibut.HalibutClientException   the endpoint could not be reached, or its answer is not a
     *                                              valid description
     */
    List<ExportDescription> describe(ServiceEndPoint endpoint);

    /** Accepts callers presenting the certificate with this thumbprint; takes effect at once. */
    void trust(String thumbprint);

    /** Stops accepting this certificate, on new and open connections alike. */
    void removeTrust(String thumbprint);

    boolean isTrusted(String thumbprint);

    /** The thumbprints this runtime trusts, sorted. */
    Set<String> trustedThumbprints();

    /** The thumbprint of this runtime's own certificate: give it to peers that must trust us. */
    String thumbprint();

    /** This runtime's own certificate. */
    X509Certificate certificate();

    /** The runtime's timeouts and limits (an endpoint may carry its own). */
    HalibutLimits limits();

    /**
     * How a connection to {@code endpoint} travels, for operators: {@value RuntimeStatus#DIRECT}, or
     * {@code proxy host:port} through an HTTP proxy (the endpoint's own or this runtime's, unless its no-proxy list
     * names the endpoint's host); {@value RuntimeStatus#POLLED} for a {@code poll://} endpoint (its service host
     * connects here).
     */
    String route(ServiceEndPoint endpoint);

    /**
     * A proxy that calls {@code contract} on the service at {@code endpoint}. Proxies are cheap,
     * thread-safe, and share the runtime's connections. A contract method returning
     * {@link java.util.concurrent.CompletableFuture} or {@link java.util.concurrent.CompletionStage} calls
     * the service method of the same name without an {@code Async} suffix, asynchronously. (Methods returning
     * OSGi's {@code Promise} are served, but only the OSGi registry's imports can call them.)
     *
     * <p>Arguments are sent as, and results bound to, the method's types as seen through {@code contract}:
     * for {@code interface ItemRepo extends Repo<Item>}, {@code Repo}'s {@code T first()} returns an
     * {@code Item}. {@code Optional.empty()} arrives as {@code Optional.empty()}. A value must fit its
     * declared type exactly (docs/protocol.md, section 4, "Values"): a result that does not (a double for an
     * {@code int}, say) fails the call with a {@link dev.halibut.HalibutClientException}, and arguments the
     * service cannot bind exactly fail it as a bad request; nothing is converted with a loss.
     *
     * <p>Failures are unchecked {@link dev.halibut.HalibutClientException}s, with one exception: when the
     * service throws an exception whose class name is exactly that of a type the invoked contract method
     * declares in its {@code throws} clause (checked or unchecked; for an async method also its synchronous
     * twin's), and that type is a public class with a public {@code (String)} or no-argument constructor,
     * the caller gets that exception, built with the remote message, its cause a
     * {@link dev.halibut.ServiceInvocationException} holding the remote stack trace text (an async method's
     * future completes exceptionally with it). The wire never chooses a class: only declared types are built.
     * Any other exception the service throws arrives as a {@link dev.halibut.ServiceInvocationException}.
     *
     * @throws IllegalArgumentException {@code contract} is not an interface
     */
    <T> T createClient(Class<T> contract, ServiceEndPoint endpoint);

    /**
     * As {@link #createClient(Class, ServiceEndPoint)}, calling the service at {@code address} instead of
     * {@code contract}'s wire name: an export's address from {@link #describe} (one of several exports of the
     * same contract), or another wire name.
     *
     * @throws IllegalArgumentException {@code contract} is not an interface, or {@code address} is blank
     */
    <T> T createClient(Class<T> contract, ServiceEndPoint endpoint, String address);

    /**
     * Polls a listener for the requests it queues for {@code subscription}, and serves them with this
     * runtime's services: the polling mode, for a service host that can only dial out. One connection
     * is kept open (and re-opened with bounded backoff whenever it drops); the listener's certificate
     * must match {@code listener}'s thumbprint every time. The listener must trust this runtime's
     * thumbprint.
     *
     * @param subscription a {@code poll://subscription-id/} URI; callers use the same URI as endpoint
     * @param listener     the listener's {@code https://} endpoint and thumbprint, or {@code wss://host:port/path} to
     *                     poll it over a secure WebSocket (through load balancers that pass only HTTP; the same
     *                     certificates and thumbprints, see docs/protocol.md)
     */
    default PollingSubscription poll(URI subscription, ServiceEndPoint listener) {
        return poll(subscription, listener, 1);
    }

    /**
     * As {@link #poll(URI, ServiceEndPoint)}, with {@code connections} parallel connections sharing the
     * subscription's queue: requests are then served in parallel, each by exactly one connection.
     */
    PollingSubscription poll(URI subscription, ServiceEndPoint listener, int connections);

    /**
     * What this runtime is doing now: listeners, connections per endpoint, polling subscriptions, queued
     * requests, served services. Cheap enough to call from a monitoring loop.
     */
    RuntimeStatus status();

    /**
     * The recent connection events of one endpoint, oldest first: connections opened and closed, failed
     * connects, refused handshakes, failed calls, requests not collected. Each endpoint keeps its last
     * {@value #CONNECTION_LOG_SIZE} entries, and the logs of the {@value #CONNECTION_LOG_ENDPOINTS} endpoints
     * used most recently are kept, so memory stays bounded however many endpoints there are.
     *
     * @param endpoint an {@code https://host:port/}, {@code poll://subscription/} or {@code listen://address:port/}
     *                 URI, compared in normal form (case-insensitive scheme, host and subscription; the path is ignored)
     * @return the entries, or an empty list if nothing was logged for it
     */
    List<ConnectionLogEntry> connectionLog(String endpoint);

    /** The endpoints that have a connection log, in normal form, most recently used first. */
    List<String> connectionLogEndpoints();

    /** Entries kept per endpoint in the connection log. */
    int CONNECTION_LOG_SIZE = 50;

    /** Endpoints whose connection logs are kept (the most recently used). */
    int CONNECTION_LOG_ENDPOINTS = 200;

    /** Starts telling {@code observer} about events; see {@link HalibutObserver}. */
    void addObserver(HalibutObserver observer);

    /** Stops telling {@code observer} about events. */
    void removeObserver(HalibutObserver observer);

    /**
     * Checks that {@code endpoint} answers, and measures how fast. A listening endpoint gets a new
     * connection (TCP connect, TLS handshake, identification: timed) and one request to the built-in
     * {@code halibut.ping} service over it (timed), then the connection is closed. For a polling endpoint
     * the ping request is queued for the subscription like any call: the time until a service host
     * collects it, and the round trip after that, are measured. The endpoint's limits apply (the
     * collection timeout, say). Pings are not reported to this runtime's observers as calls; the pinged
     * runtime reports a served request of service {@code halibut.ping}.
     *
     * @throws dev.halibut.HalibutClientException the endpoint could not be reached or did not answer
     */
    PingResult ping(ServiceEndPoint endpoint);

    /**
     * The bound on {@link #close()}: 2 seconds. A correctness bound, not a speed promise: close returns within
     * it (plus the time the JVM needs to schedule the closing thread) whatever the services are doing.
     */
    Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Stops listening and polling, fails calls in flight, closes every connection and ends every thread this
     * runtime owns, returning within {@link #CLOSE_TIMEOUT}:
     * <ol>
     * <li>It stops accepting connections and stops polling, and interrupts every service call running here
     *     (in both modes). A call that then fails, or a request that arrives from now on, is answered with a
     *     {@code server-error} "<i>Service.method</i> was interrupted: the service host is shutting down";
     *     the caller gets a {@link dev.halibut.HalibutClientException} saying so.</li>
     * <li>After half of {@link #CLOSE_TIMEOUT}, or as soon as no service call runs any more, it closes every
     *     connection: a call still running loses its response, and its caller's call fails as a connection
     *     failure. Calls this runtime makes fail with a {@link dev.halibut.HalibutClientException}.</li>
     * <li>It waits for its threads until {@link #CLOSE_TIMEOUT} has passed, and deletes the temporary files
     *     of received streams.</li>
     * </ol>
     * A service method that ignores interruption (a busy loop, an uninterruptible wait) cannot be stopped by
     * the JVM: its thread, a daemon thread, is the one thing that outlives close(); it ends when the method
     * returns, and its response is dropped. A warning names it.
     */
    @Override
    void close();

    /** Builds a {@link HalibutRuntime}. Not thread-safe; build once. */
    final class Builder {
        private X509Certificate certificate;
        private PrivateKey privateKey;
        private final Map<Class<?>, Object> services = new LinkedHashMap<>();
        private final List<String> trusted = new ArrayList<>();
        private HalibutLimits limits = HalibutLimits.defaults();
        private PendingRequestQueue queue;
        private StreamTransferListener streamProgress = StreamTransferListener.NONE;
        private Path temporaryDirectory;
        private final List<HalibutObserver> observers = new ArrayList<>();
        private dev.halibut.HttpProxy proxy;
        private String tlsProvider = "jdk";

        Builder() {
        }

        /**
         * Uses the first private key entry of a PKCS#12 file as this runtime's identity.
         *
         * @throws IllegalArgumentException the file is missing, not PKCS#12, or the password is wrong
         */
        public Builder certificate(Path pkcs12, char[] password) {
            CertificateAndKey identity = Certificates.loadPkcs12(pkcs12, password);
            return certificate(identity.certificate(), identity.privateKey());
        }

        /** Uses this certificate and its private key as this runtime's identity. */
        public Builder certificate(X509Certificate certificate, PrivateKey privateKey) {
            this.certificate = Objects.requireNonNull(certificate, "certificate");
            this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
            return this;
        }

        /**
         * Serves {@code implementation} under {@code contract}'s wire name (its simple name, or its
         * {@code @jakarta.inject.Named} value).
         */
        public <T> Builder service(Class<T> contract, T implementation) {
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(implementation, "implementation");
            if (!contract.isInterface()) {
                throw new IllegalArgumentException(contract.getName() + " is not an interface; a service contract must be one");
            }
            services.put(contract, implementation);
            return this;
        }

        /** Trusts a caller's thumbprint from the start (same as {@link HalibutRuntime#trust} later). */
        public Builder trust(String thumbprint) {
            trusted.add(Objects.requireNonNull(thumbprint, "thumbprint"));
            return this;
        }

        /**
         * Sends this runtime's outgoing connections (calls to {@code https://} endpoints, polling connections)
         * through an HTTP proxy with {@code HTTP CONNECT}, except to the hosts in its no-proxy list; an endpoint's
         * own proxy ({@link ServiceEndPoint#withProxy}) wins. TLS and the thumbprint check run end to end through
         * the tunnel. Default: none ({@code null}).
         */
        public Builder proxy(dev.halibut.HttpProxy proxy) {
            this.proxy = proxy == null || proxy.isDirect() ? null : proxy;
            return this;
        }

        /** Sets the runtime's timeouts and limits (default {@link HalibutLimits#defaults()}). */
        public Builder timeouts(HalibutLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Uses {@code queue} for requests to polling endpoints instead of the default in-memory queue
         * (e.g. {@code dev.halibut.queue.redis.RedisPendingRequestQueue}, shared by several listener nodes
         * through Redis). The runtime owns it from here and closes it when it closes; give each runtime its
         * own queue object (nodes share a queue by connecting their own objects to the same store).
         */
        public Builder pendingRequestQueue(PendingRequestQueue queue) {
            this.queue = Objects.requireNonNull(queue, "queue");
            return this;
        }

        /** Reports the progress of every stream this runtime sends or receives. */
        public Builder streamProgress(StreamTransferListener listener) {
            this.streamProgress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Where received streams larger than 64 KiB wait when they cannot be read as they arrive (read out of
         * order, left unread by a service that returned, or a response's polled through a shared queue; see
         * {@link dev.halibut.DataStream})
         * (default: the JVM's temporary directory). Their files are deleted when read, discarded or
         * garbage-collected, when their call fails, and when the runtime closes.
         */
        public Builder temporaryDirectory(Path directory) {
            this.temporaryDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** Tells {@code observer} about events from the start (same as {@link HalibutRuntime#addObserver} later). */
        public Builder observer(HalibutObserver observer) {
            observers.add(Objects.requireNonNull(observer, "observer"));
            return this;
        }

        /**
         * Which TLS implementation encrypts this runtime's connections: {@code jdk} (the JVM's JSSE, the default)
         * or {@code openssl} (BoringSSL through Netty, which needs {@code io.netty:netty-tcnative-boringssl-static}
         * for this platform on the class path; it costs less CPU per byte, see docs/benchmarks.md). Both speak
         * the same TLS to the peer, so the two ends may choose differently.
         *
         * @throws IllegalArgumentException the name is neither {@code jdk} nor {@code openssl}
         */
        public Builder tlsProvider(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.trim().equalsIgnoreCase("jdk") && !name.trim().equalsIgnoreCase("openssl")) {
                throw new IllegalArgumentException("Unknown TLS provider '" + name + "': use jdk or openssl");
            }
            this.tlsProvider = name.trim();
            return this;
        }

        /**
         * Builds the runtime. It does not listen until {@link HalibutRuntime#listen} is called.
         *
         * @throws IllegalStateException no certificate was given
         */
        public HalibutRuntime build() {
            if (certificate == null) {
                throw new IllegalStateException("A Halibut runtime needs a certificate: call certificate(pkcs12File, password)"
                        + " or certificate(x509, privateKey). Certificates.generatePkcs12(...) creates a self-signed one");
            }
            return new DefaultHalibutRuntime(certificate, privateKey, tlsProvider, services, trusted, limits,
                    queue != null ? queue : new InMemoryPendingRequestQueue(), streamProgress, temporaryDirectory, observers,
                    proxy);
        }
    }
}
