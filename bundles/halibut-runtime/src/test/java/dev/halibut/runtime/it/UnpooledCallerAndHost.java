package dev.halibut.runtime.it;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * A caller (octopus) that pools no connection, so that each of its calls opens a new one and goes through the
 * listener's handshake throttle like an attacker's, and a service host (tentacle) listening on loopback that trusts
 * it: the set-up of the tests that flood a listener with failing handshakes.
 */
final class UnpooledCallerAndHost implements AutoCloseable {

    final HalibutRuntime octopus;
    final HalibutRuntime tentacle;
    final int port;

    UnpooledCallerAndHost(HalibutLimits hostLimits, CalculatorService service) {
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(HalibutLimits.defaults().withPoolMaxIdlePerEndpoint(0)).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .timeouts(hostLimits).service(Calculator.class, service).trust(octopus.thumbprint()).build();
        port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** The tentacle's calculator, called by the trusted octopus. */
    Calculator trustedClient() {
        return octopus.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
    }

    @Override
    public void close() {
        octopus.close();
        tentacle.close();
    }
}
