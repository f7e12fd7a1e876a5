package dev.halibut.shell.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PingResult;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.service.cm.ConfigurationAdmin;

/** {@code halibut:ping}: a handshake and a round trip to an endpoint, timed. */
@Service
@Command(scope = "halibut", name = "ping", description = "Checks that an endpoint answers and how fast: for"
        + " https://host:port/, a new connection (TCP, TLS handshake, identification) and one request to the built-in"
        + " ping service over it; for poll://subscription/, a ping request queued for the polling service host.")
public class PingCommand implements Action {

    @Argument(index = 0, name = "endpoint", required = true,
            description = "https://host:port/ of a listening service host, or poll://subscription/ of a polling one")
    @Completion(EndpointCompleter.class)
    String endpoint;

    @Argument(index = 1, name = "thumbprint", required = false, description = "The thumbprint the endpoint must"
            + " present; default: the thumbprint of a dev.halibut.import configuration with this endpoint")
    @Completion(PeerThumbprintCompleter.class)
    String thumbprint;

    @Option(name = "--count", aliases = "-c", description = "How many pings (default 1)")
    int count = 1;

    @Option(name = "--timeout", aliases = "-t", description = "Polling endpoints: how long to wait for a service host to"
            + " collect each ping, in seconds (default: the runtime's collection timeout)")
    int timeoutSeconds;

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Override
    public Object execute() throws Exception {
        if (runtime == null) {
            System.out.println("No Halibut runtime is running.");
            return null;
        }
        String tp = thumbprint != null ? thumbprint : importedThumbprint();
        if (tp == null) {
            System.err.println("No thumbprint given, and no dev.halibut.import configuration names " + endpoint
                    + ": halibut:ping " + endpoint + " <thumbprint>");
            return null;
        }
        ServiceEndPoint target;
        try {
            target = new ServiceEndPoint(URI.create(endpoint.trim()), tp);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return null;
        }
        if (timeoutSeconds > 0) {
            HalibutLimits l = runtime.limits();
            target = target.withLimits(l.withPollingCollectionTimeout(Duration.ofSeconds(timeoutSeconds)));
        }
        System.out.println("PING " + target.baseUri() + " (" + target.remoteThumbprint() + ")");
        List<Duration> roundTrips = new ArrayList<>();
        int failed = 0;
        for (int i = 1; i <= Math.max(1, count); i++) {
            try {
                PingResult r = runtime.ping(target);
                roundTrips.add(r.roundTrip());
                System.out.println("  " + i + ": " + (r.handshake() != null ? "handshake " + Text.duration(r.handshake())
                        : "collected after " + Text.duration(r.collected())) + ", round trip " + Text.duration(r.roundTrip()));
            } catch (HalibutClientException e) {
                failed++;
                System.out.println("  " + i + ": failed: " + e.getMessage());
            }
        }
        if (count > 1) {
            String summary = roundTrips.isEmpty() ? "" : ", round trip min/avg/max "
                    + Text.duration(roundTrips.stream().min(Duration::compareTo).orElseThrow()) + " / "
                    + Text.duration(roundTrips.stream().reduce(Duration.ZERO, Duration::plus).dividedBy(roundTrips.size()))
                    + " / " + Text.duration(roundTrips.stream().max(Duration::compareTo).orElseThrow());
            System.out.println(roundTrips.size() + " answered, " + failed + " failed" + summary);
        }
        return null;
    }

    private String importedThumbprint() throws java.io.IOException {
        String wanted = Text.endpoint(endpoint);
        for (Hashtable<String, Object> p : RuntimeConfig.factory(configurationAdmin, RuntimeConfig.IMPORT_FACTORY_PID)) {
            String e = RuntimeConfig.string(p.get("endpoint"));
            if (e != null && Text.endpoint(e).equals(wanted)) {
                return RuntimeConfig.string(p.get("thumbprint"));
            }
        }
        return null;
    }
}
