package dev.halibut.runtime.it;

import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.function.UnaryOperator;

/**
 * A caller runtime and a service host runtime wired in either mode, for tests whose calling code must be
 * the same in both: in listening mode the service host listens and the caller connects; in polling mode the
 * caller listens and the service host polls it. Closing the pair closes both runtimes and the subscription.
 */
final class ModePair implements AutoCloseable {

    enum Mode { LISTENING, POLLING }

    private static final URI SUBSCRIPTION = URI.create("poll://mode-pair/");

    private final HalibutRuntime caller;
    private final HalibutRuntime serviceHost;
    private final PollingSubscription subscription;
    private final ServiceEndPoint endpoint;

    /**
     * @param services registers the service host's services on its builder
     */
    ModePair(Mode mode, UnaryOperator<HalibutRuntime.Builder> services) {
        serviceHost = services.apply(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())).build();
        caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        if (mode == Mode.LISTENING) {
            int port = serviceHost.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            serviceHost.trust(caller.thumbprint());
            subscription = null;
            endpoint = new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), serviceHost.thumbprint());
        } else {
            int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            caller.trust(serviceHost.thumbprint());
            subscription = serviceHost.poll(SUBSCRIPTION,
                    new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), caller.thumbprint()));
            endpoint = new ServiceEndPoint(SUBSCRIPTION, serviceHost.thumbprint());
        }
    }

    /** A proxy for {@code contract} on the service host, in this pair's mode. */
    <T> T client(Class<T> contract) {
        return caller.createClient(contract, endpoint);
    }

    @Override
    public void close() {
        if (subscription != null) {
            subscription.close();
        }
        caller.close();
        serviceHost.close();
    }
}
