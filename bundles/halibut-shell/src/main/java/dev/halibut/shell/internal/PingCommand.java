package dev.halibut.shell.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.registry.config.HalibutConfig;
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
import org.apache.karaf.shell.support.CommandException;
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

    @Option(name = "--count", aliases = "-c", description = "How many pings (default 1); the command fails when none is answered")
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
        if (count < 1) {
            throw new CommandException("--count must be 1 or more, not " + count);
        }
        if (timeoutSeconds < 0) {
            throw new CommandException("--timeout is a number of seconds, 1 or more (0 = the runtime's collection timeout), not "
                    + timeoutSeconds);
        }
        String tp = thumbprint != null ? thumbprint : importedThumbprint();
        if (tp == null) {
            throw new CommandException("No thumbprint given, and no " + HalibutConfig.IMPORT_FACTORY_PID
                    + " configuration names " + endpoint + ": halibut:ping " + endpoint + " <thumbprint>");
        }
        ServiceEndPoint target;
        try {
            target = new ServiceEndPoint(URI.create(endpoint.trim()), tp);
        } catch (IllegalArgumentException e) {
            throw new CommandException("Cannot ping " + endpoint + ": " + e.getMessage(), e);
        }
        if (runtime == null) {
            throw new CommandException("No Halibut runtime is running to ping from; check etc/" + HalibutConfig.RUNTIME_PID
                    + ".cfg and data/log/karaf.log");
        }
        if (timeoutSeconds > 0) {
            HalibutLimits l = runtime.limits();
            target = target.withLimits(l.withPollingCollectionTimeout(Duration.ofSeconds(timeoutSeconds)));
        }
        System.out.println("PING " + target.baseUri() + " (" + target.remoteThumbprint() + ")");
        List<Duration> roundTrips = new ArrayList<>();
        int failed = 0;
        String lastFailure = null;
        for (int i = 1; i <= count; i++) {
            try {
                PingResult r = runtime.ping(target);
                roundTrips.add(r.roundTrip());
                System.out.println("  " + i + ": " + (r.handshake() != null ? "handshake " + Text.duration(r.handshake())
                        : "collected after " + Text.duration(r.collected())) + ", round trip " + Text.duration(r.roundTrip()));
            } catch (HalibutClientException e) {
                failed++;
                lastFailure = e.getMessage();
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
        if (roundTrips.isEmpty()) {
            // As ping(8): no answer at all fails the command, so a script can tell.
            throw new CommandException(target.baseUri() + " did not answer " + (count == 1 ? "the ping" : "any of " + count
                    + " pings") + ": " + lastFailure);
        }
        return null;
    }

    private String importedThumbprint() throws java.io.IOException {
        String wanted = Text.endpoint(endpoint);
        for (Hashtable<String, Object> p : RuntimeConfig.factory(configurationAdmin, HalibutConfig.IMPORT_FACTORY_PID)) {
            String e = RuntimeConfig.first(p.get(HalibutConfig.ENDPOINT));
            if (e != null && Text.endpoint(e).equals(wanted)) {
                return RuntimeConfig.first(p.get(HalibutConfig.THUMBPRINT));
            }
        }
        return null;
    }
}
