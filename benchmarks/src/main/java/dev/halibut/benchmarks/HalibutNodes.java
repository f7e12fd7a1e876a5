package dev.halibut.benchmarks;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * A caller and a service host on loopback, wired in either mode, serving {@link Adder} and {@link Sink}.
 * Listening: the host listens, the caller connects (pooled). Polling: the caller listens, the host polls it
 * with {@code pollingConnections} connections.
 */
final class HalibutNodes implements AdderNodes {

    final HalibutRuntime caller;
    final HalibutRuntime host;
    final ServiceEndPoint endpoint;

    private HalibutNodes(HalibutRuntime caller, HalibutRuntime host, ServiceEndPoint endpoint) {
        this.caller = caller;
        this.host = host;
        this.endpoint = endpoint;
    }

    static HalibutNodes listening(CertificateAndKey callerId, CertificateAndKey hostId, HalibutLimits callerLimits) {
        return listening(callerId, hostId, callerLimits, new Blocks.SinkService(), "jdk");
    }

    /** Listening, both ends on {@code tlsProvider} (jdk or openssl). */
    static HalibutNodes listening(CertificateAndKey callerId, CertificateAndKey hostId, HalibutLimits callerLimits,
                                  String tlsProvider) {
        return listening(callerId, hostId, callerLimits, new Blocks.SinkService(), tlsProvider);
    }

    /** Listening, with {@code sink} serving {@link Sink}, both ends on {@code tlsProvider} (jdk or openssl). */
    static HalibutNodes listening(CertificateAndKey callerId, CertificateAndKey hostId, HalibutLimits callerLimits,
                                  Sink sink, String tlsProvider) {
        HalibutRuntime caller = HalibutRuntime.builder().certificate(callerId.certificate(), callerId.privateKey())
                .tlsProvider(tlsProvider).timeouts(callerLimits).build();
        HalibutRuntime host = host(hostId, caller.thumbprint(), sink, tlsProvider);
        int port = host.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return new HalibutNodes(caller, host,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), host.thumbprint()));
    }

    static HalibutNodes polling(CertificateAndKey callerId, CertificateAndKey hostId, int pollingConnections) {
        return polling(callerId, hostId, pollingConnections, "jdk");
    }

    /** Polling, both ends on {@code tlsProvider} (jdk or openssl). */
    static HalibutNodes polling(CertificateAndKey callerId, CertificateAndKey hostId, int pollingConnections,
                                String tlsProvider) {
        return polling(callerId, hostId, pollingConnections, new Blocks.SinkService(), tlsProvider);
    }

    /** Polling, with {@code sink} serving {@link Sink}, both ends on {@code tlsProvider} (jdk or openssl). */
    static HalibutNodes polling(CertificateAndKey callerId, CertificateAndKey hostId, int pollingConnections,
                                Sink sink, String tlsProvider) {
        HalibutRuntime caller = HalibutRuntime.builder().certificate(callerId.certificate(), callerId.privateKey())
                .tlsProvider(tlsProvider).trust(dev.halibut.Thumbprints.of(hostId.certificate())).build();
        int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        HalibutRuntime host = host(hostId, caller.thumbprint(), sink, tlsProvider);
        URI subscription = URI.create("poll://bench/");
        host.poll(subscription, new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), caller.thumbprint()),
                pollingConnections);
        return new HalibutNodes(caller, host, new ServiceEndPoint(subscription, host.thumbprint()));
    }

    private static HalibutRuntime host(CertificateAndKey hostId, String callerThumbprint, Sink sink, String tlsProvider) {
        return HalibutRuntime.builder().certificate(hostId.certificate(), hostId.privateKey()).tlsProvider(tlsProvider)
                .service(Adder.class, new Adder.Impl())
                .service(Sink.class, sink)
                .trust(callerThumbprint).build();
    }

    <T> T client(Class<T> contract) {
        return caller.createClient(contract, endpoint);
    }

    /** Calls until one succeeds (a polling host may still be connecting). */
    @Override
    public Adder warmAdder() {
        Adder adder = client(Adder.class);
        if (adder.add(1, 2) != 3) {
            throw new IllegalStateException("add(1,2) != 3");
        }
        return adder;
    }

    @Override
    public void close() {
        host.close(); // first: a polling host must not try to reconnect to a closed listener
        caller.close();
    }
}
