package dev.halibut.runtime.it;

import dev.halibut.HalibutLimits;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The listener side of the tests that play a polling subscriber by hand ({@link RawSubscriberConnection}). */
final class PollingListeners {

    private PollingListeners() {
    }

    /** A caller with the octopus certificate and these limits, trusting the tentacle certificate raw subscribers present. */
    static HalibutRuntime octopusTrustingTentacle(HalibutLimits limits) {
        HalibutRuntime octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(limits).build();
        octopus.trust(dev.halibut.Thumbprints.of(TestIdentities.TENTACLE.certificate()));
        return octopus;
    }

    /** Listens on a free loopback port: the port. */
    static int listen(HalibutRuntime runtime) {
        return runtime.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** The subscriber connections the listener has open now, over all subscriptions. */
    static int subscriberConnections(HalibutRuntime runtime) {
        return runtime.status().inbound().stream().filter(c -> c.role() == HalibutObserver.Role.SUBSCRIBER)
                .mapToInt(RuntimeStatus.InboundConnections::open).sum();
    }
}
