package dev.halibut.runtime.it;

import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.it.ModePair.Mode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * Wires a caller and a service host that a test built (with its own services, limits, temporary directories) in
 * either mode on loopback, each trusting the other: in listening mode the service host listens and the caller
 * connects; in polling mode the caller listens and the service host polls it. A relay (a test's fault-injecting
 * proxy) may stand between the connecting side and the listener.
 */
final class ModeWiring {

    /**
     * @param endpoint what the caller passes to {@code createClient}
     * @param subscription the service host's subscription in polling mode (its owner closes it before the runtimes),
     *     null in listening mode
     */
    record Wired(ServiceEndPoint endpoint, PollingSubscription subscription) {
    }

    /** What stands between the connecting side and the listener on TCP. */
    @FunctionalInterface
    interface Relay {
        /** None: the connecting side dials the listener itself. */
        Relay NONE = listenerPort -> listenerPort;

        /** Given the listener's port, the port the connecting side dials instead (a proxy's, to the listener). */
        int portFor(int listenerPort) throws IOException;
    }

    private ModeWiring() {
    }

    /** Wired directly, with one polling connection. */
    static Wired wire(Mode mode, HalibutRuntime caller, HalibutRuntime serviceHost, URI subscription) {
        try {
            return wire(mode, caller, serviceHost, subscription, Relay.NONE, 1);
        } catch (IOException e) {
            throw new UncheckedIOException("Relay.NONE opens nothing, so nothing can fail", e);
        }
    }

    /**
     * @param subscription what the service host polls for in polling mode
     * @param relay what stands between the connecting side and the listener, {@link Relay#NONE} for nothing
     * @param pollingConnections how many connections the service host polls over in polling mode
     */
    static Wired wire(Mode mode, HalibutRuntime caller, HalibutRuntime serviceHost, URI subscription,
            Relay relay, int pollingConnections) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (mode == Mode.LISTENING) {
            int port = relay.portFor(serviceHost.listen(loopback));
            serviceHost.trust(caller.thumbprint());
            return new Wired(new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), serviceHost.thumbprint()),
                    null);
        }
        int port = relay.portFor(caller.listen(loopback));
        caller.trust(serviceHost.thumbprint());
        PollingSubscription polling = serviceHost.poll(subscription,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), caller.thumbprint()), pollingConnections);
        return new Wired(new ServiceEndPoint(subscription, serviceHost.thumbprint()), polling);
    }
}
