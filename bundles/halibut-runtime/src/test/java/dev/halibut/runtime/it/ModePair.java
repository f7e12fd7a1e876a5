package dev.halibut.runtime.it;

import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
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
        ModeWiring.Wired wired = ModeWiring.wire(mode, caller, serviceHost, SUBSCRIPTION);
        subscription = wired.subscription();
        endpoint = wired.endpoint();
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
