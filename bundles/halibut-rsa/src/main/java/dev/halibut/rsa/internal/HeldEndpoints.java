package dev.halibut.rsa.internal;

import dev.halibut.registry.distribution.DiscoveredEndpoints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.osgi.service.remoteserviceadmin.EndpointDescription;
import org.osgi.service.remoteserviceadmin.EndpointEvent;
import org.osgi.service.remoteserviceadmin.EndpointEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trust rule between discovery and one topology manager listener: a Halibut endpoint reaches the listener
 * (and so gets imported) only while its {@link HalibutEndpoints.Verdict} is {@code IMPORT}. Untrusted ones are
 * held: logged once, listed as discovered-not-trusted, and passed on as added when their thumbprint becomes
 * trusted; an endpoint passed on whose thumbprint stops being trusted is passed on as removed (its import goes).
 * A {@code poll://} endpoint collected by another listener is kept from the listener without being listed: no
 * trust here would make it callable. Endpoints of other distribution providers pass unchanged. Thread-safe; the listener is called with this object's lock held,
 * which keeps its events in order (the topology manager only queues work in them).
 */
final class HeldEndpoints {
    private static final Logger LOG = LoggerFactory.getLogger(HeldEndpoints.class);

    /** One discovered Halibut endpoint under one scope filter of the listener. */
    private record Key(String filter, String endpointId) {
    }

    private static final class Entry {
        EndpointDescription endpoint;
        boolean passed;
        HalibutEndpoints.Verdict verdict;

        Entry(EndpointDescription endpoint) {
            this.endpoint = endpoint;
        }
    }

    private final EndpointEventListener listener;
    private final Map<Key, Entry> entries = new LinkedHashMap<>();
    /** endpoint.id + thumbprint + verdict already logged, so each is logged once while it is discovered. */
    private final Set<String> reported = new HashSet<>();

    HeldEndpoints(EndpointEventListener listener) {
        this.listener = listener;
    }

    /**
     * An event from discovery for the listener's scope {@code filter}.
     *
     * @param rule what this framework's runtime does with a Halibut description now
     */
    synchronized void endpointChanged(EndpointEvent event, String filter,
                                      Function<Map<String, ?>, HalibutEndpoints.Verdict> rule) {
        EndpointDescription endpoint = event.getEndpoint();
        if (!HalibutEndpoints.isHalibut(endpoint.getProperties())) {
            listener.endpointChanged(event, filter);
            return;
        }
        Key key = new Key(filter, endpoint.getId());
        switch (event.getType()) {
            case EndpointEvent.ADDED, EndpointEvent.MODIFIED -> {
                Entry entry = entries.computeIfAbsent(key, k -> new Entry(endpoint));
                entry.endpoint = endpoint;
                entry.verdict = rule.apply(endpoint.getProperties());
                if (entry.verdict == HalibutEndpoints.Verdict.IMPORT) {
                    // Discovery announces an endpoint again after a new ZooKeeper session: for the topology manager
                    // that is a modification of what it imports, not a second import.
                    listener.endpointChanged(new EndpointEvent(entry.passed ? EndpointEvent.MODIFIED : EndpointEvent.ADDED,
                            endpoint), filter);
                    entry.passed = true;
                } else {
                    if (entry.passed) {
                        listener.endpointChanged(new EndpointEvent(EndpointEvent.REMOVED, endpoint), filter);
                        entry.passed = false;
                    }
                    report(entry);
                }
            }
            default -> { // REMOVED, MODIFIED_ENDMATCH
                Entry entry = entries.remove(key);
                if (entry != null && entry.passed) {
                    listener.endpointChanged(event, filter);
                }
                forgetReportsOfGone();
            }
        }
    }

    /** Applies the current trust to every held or passed endpoint; called when trust may have changed. */
    synchronized void recheck(Function<Map<String, ?>, HalibutEndpoints.Verdict> rule) {
        entries.forEach((key, entry) -> {
            entry.verdict = rule.apply(entry.endpoint.getProperties());
            boolean ok = entry.verdict == HalibutEndpoints.Verdict.IMPORT;
            if (ok && !entry.passed) {
                LOG.info("Discovered endpoint {} at {}: thumbprint {} is trusted now; importing it",
                        entry.endpoint.getId(), endpointOf(entry.endpoint), thumbprintOf(entry.endpoint));
                listener.endpointChanged(new EndpointEvent(EndpointEvent.ADDED, entry.endpoint), key.filter());
                entry.passed = true;
            } else if (!ok && entry.passed) {
                LOG.warn("Discovered endpoint {} at {}: {}; its import is withdrawn", entry.endpoint.getId(),
                        endpointOf(entry.endpoint), entry.verdict == HalibutEndpoints.Verdict.UNTRUSTED
                                ? "thumbprint " + thumbprintOf(entry.endpoint) + " is not trusted any more"
                                : "this runtime is not the listener it is polled from any more");
                listener.endpointChanged(new EndpointEvent(EndpointEvent.REMOVED, entry.endpoint), key.filter());
                entry.passed = false;
                report(entry);
            }
        });
        forgetReportsOfGone();
    }

    /** The endpoints held back now. */
    synchronized List<DiscoveredEndpoints.Untrusted> held() {
        Map<String, DiscoveredEndpoints.Untrusted> out = new LinkedHashMap<>();
        entries.values().stream().filter(e -> e.verdict == HalibutEndpoints.Verdict.UNTRUSTED)
                .forEach(e -> out.putIfAbsent(e.endpoint.getId(),
                new DiscoveredEndpoints.Untrusted(e.endpoint.getId(), endpointOf(e.endpoint),
                        thumbprintOf(e.endpoint), e.endpoint.getInterfaces())));
        List<DiscoveredEndpoints.Untrusted> list = new ArrayList<>(out.values());
        list.sort(Comparator.comparing(DiscoveredEndpoints.Untrusted::endpointId));
        return list;
    }

    private void report(Entry entry) {
        EndpointDescription endpoint = entry.endpoint;
        String thumbprint = thumbprintOf(endpoint);
        if (!reported.add(reportKey(entry))) {
            return;
        }
        if (entry.verdict == HalibutEndpoints.Verdict.POLLED_ELSEWHERE) {
            // Normal on every node but the polled listener: worth a line only when looking for it.
            LOG.debug("Discovered endpoint {} for {} is not imported here: its exporter polls the listener {} "
                    + "(thumbprint {}), not this runtime", endpoint.getId(), endpoint.getInterfaces(),
                    endpoint.getProperties().get(HalibutEndpoints.POLLED_ENDPOINT),
                    endpoint.getProperties().get(HalibutEndpoints.POLLED_THUMBPRINT));
        } else {
            LOG.warn("Discovered endpoint {} at {} for {} is not imported: its thumbprint {} is not trusted here. "
                    + "Trust it (halibut:trust {}) if that certificate is the exporter's", endpoint.getId(),
                    endpointOf(endpoint), endpoint.getInterfaces(), thumbprint, thumbprint);
        }
    }

    private void forgetReportsOfGone() {
        Set<String> current = new HashSet<>();
        entries.values().forEach(e -> current.add(reportKey(e)));
        reported.retainAll(current);
    }

    /** What was reported of an entry: a new thumbprint or a new reason is reported again. */
    private static String reportKey(Entry entry) {
        return entry.endpoint.getId() + " " + thumbprintOf(entry.endpoint) + " " + entry.verdict;
    }

    private static String thumbprintOf(EndpointDescription endpoint) {
        String t = HalibutEndpoints.thumbprint(endpoint.getProperties());
        return t == null ? "(none)" : t;
    }

    private static String endpointOf(EndpointDescription endpoint) {
        return String.valueOf(endpoint.getProperties().get(HalibutEndpoints.ENDPOINT));
    }
}
