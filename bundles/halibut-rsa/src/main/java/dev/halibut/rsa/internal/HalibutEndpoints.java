package dev.halibut.rsa.internal;

import dev.halibut.Thumbprints;
import dev.halibut.registry.distribution.HalibutDistribution;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Halibut keys of an endpoint description (Remote Service Admin 122.4) and the rules between them and an
 * export or an import: what an exporter publishes, and what an importer needs from a discovered description to
 * call it. Pure, so the format is unit-tested without a framework; docs/osgi.md ("Remote Service Admin and
 * discovery") lists the keys.
 */
final class HalibutEndpoints {
    /**
     * The endpoint URI to call: {@code https://host:port/} of the exporter's listener, or {@code poll://subscription/}
     * when the exporter polls a listener for it.
     */
    static final String ENDPOINT = "dev.halibut.endpoint";
    /** The SHA-1 thumbprint of the exporter's certificate: the importer calls it only if it trusts it. */
    static final String THUMBPRINT = "dev.halibut.thumbprint";
    /** The export's id in the exporting runtime (its {@code halibut.describe} {@code endpoint.id}). */
    static final String EXPORT_ID = "dev.halibut.export.id";
    /** {@code interface=address} for each exported interface: the wire address that reaches exactly this export. */
    static final String ADDRESSES = "dev.halibut.addresses";
    /** For a {@code poll://} endpoint: the {@code https://} URI of the listener the exporter polls. */
    static final String POLLED_ENDPOINT = "dev.halibut.polled.endpoint";
    /**
     * For a {@code poll://} endpoint: the thumbprint of the listener the exporter polls. Only the runtime with that
     * certificate imports the endpoint: requests queued anywhere else are never collected.
     */
    static final String POLLED_THUMBPRINT = "dev.halibut.polled.thumbprint";
    static final String OBJECT_CLASS = "objectClass";
    static final String IMPORTED_CONFIGS = "service.imported.configs";
    static final String ENDPOINT_ID = "endpoint.id";
    static final String OSGI_BASIC_TIMEOUT = "osgi.basic.timeout";

    /**
     * What an importer calls: where, whom it must be, and the address of each interface.
     *
     * @param polledThumbprint for a {@code poll://} endpoint, the thumbprint of the listener that may import it;
     *                         null for {@code https://}
     */
    record Target(URI endpoint, String thumbprint, Map<String, String> addresses, long timeoutMillis,
                  String polledThumbprint) {
    }

    /** What an importing runtime does with a discovered Halibut description. */
    enum Verdict {
        /** Import it: its exporter is trusted, and a poll:// endpoint is polled from this runtime. */
        IMPORT,
        /** Hold it back until its exporter's thumbprint is trusted (listed as discovered, not trusted). */
        UNTRUSTED,
        /** Ignore it: a poll:// endpoint whose exporter polls another listener; trust would not change that. */
        POLLED_ELSEWHERE
    }

    private HalibutEndpoints() {
    }

    /**
     * The {@code endpoint.id} of an export: the endpoint URI with the export's id as its path. Unique, since the
     * export id is unique within the runtime listening there, and meaningful to an operator reading discovery.
     */
    static String endpointId(URI endpoint, String exportId) {
        String base = endpoint.toString();
        return (base.endsWith("/") ? base : base + "/") + exportId;
    }

    /**
     * The description's properties of one export.
     *
     * @param exportProperties what the registry's export rules make of the service's properties (they hold
     *                         {@code endpoint.id}, {@code endpoint.service.id}, {@code endpoint.framework.uuid}
     *                         and {@code service.intents})
     * @param addresses        interface name to wire address, in export order
     */
    static Map<String, Object> describe(Map<String, Object> exportProperties, Publication publication, String thumbprint,
                                        String exportId, Map<String, String> addresses) {
        Map<String, Object> out = new LinkedHashMap<>(exportProperties);
        out.put(OBJECT_CLASS, addresses.keySet().toArray(new String[0]));
        out.put(IMPORTED_CONFIGS, new String[] {HalibutDistribution.CONFIG_TYPE});
        out.put(ENDPOINT_ID, endpointId(publication.endpoint(), exportId));
        out.put(ENDPOINT, publication.endpoint().toString());
        out.put(THUMBPRINT, thumbprint);
        if (publication.isPolling()) {
            out.put(POLLED_ENDPOINT, publication.polled().baseUri().toString());
            out.put(POLLED_THUMBPRINT, publication.polled().remoteThumbprint());
        }
        out.put(EXPORT_ID, exportId);
        List<String> pairs = new ArrayList<>();
        addresses.forEach((i, a) -> pairs.add(i + "=" + a));
        out.put(ADDRESSES, pairs.toArray(new String[0]));
        return out;
    }

    /** True when a description is one of ours: {@code service.imported.configs} names {@code dev.halibut}. */
    static boolean isHalibut(Map<String, ?> description) {
        return strings(description.get(IMPORTED_CONFIGS)).contains(HalibutDistribution.CONFIG_TYPE);
    }

    /** The exporter's thumbprint, or null when the description has none. */
    static String thumbprint(Map<String, ?> description) {
        return description.get(THUMBPRINT) instanceof String s && !s.isBlank() ? s : null;
    }

    /**
     * What a runtime with certificate {@code ownThumbprint} does with a discovered Halibut description: a
     * {@code poll://} endpoint is this runtime's business only if its exporter polls this runtime (its
     * {@link #POLLED_THUMBPRINT} is {@code ownThumbprint}); then, as for {@code https://}, the exporter's thumbprint
     * must be trusted.
     */
    static Verdict verdict(Map<String, ?> description, String ownThumbprint, Predicate<String> trusted) {
        if (isPolling(description) && !(description.get(POLLED_THUMBPRINT) instanceof String polled
                && ownThumbprint != null && Thumbprints.matches(polled, ownThumbprint))) {
            return Verdict.POLLED_ELSEWHERE;
        }
        String thumbprint = thumbprint(description);
        return thumbprint != null && trusted.test(thumbprint) ? Verdict.IMPORT : Verdict.UNTRUSTED;
    }

    /** True when the description's endpoint is a {@code poll://} subscription. */
    static boolean isPolling(Map<String, ?> description) {
        return description.get(ENDPOINT) instanceof String e && e.regionMatches(true, 0, "poll:", 0, 5);
    }

    /**
     * What to call for a discovered description.
     *
     * @throws IllegalArgumentException the description lacks a Halibut key or has a malformed one; the message
     *                                  names the key and the endpoint
     */
    static Target target(Map<String, ?> description) {
        Object id = description.get(ENDPOINT_ID);
        if (!(description.get(ENDPOINT) instanceof String e) || e.isBlank()) {
            throw new IllegalArgumentException("Endpoint " + id + " has no " + ENDPOINT + "; it was not published by "
                    + "a Halibut exporter");
        }
        URI endpoint;
        try {
            endpoint = new URI(e);
        } catch (URISyntaxException bad) {
            throw new IllegalArgumentException("Endpoint " + id + ": " + ENDPOINT + " '" + e + "' is not a URI: "
                    + bad.getMessage());
        }
        if (!"https".equalsIgnoreCase(endpoint.getScheme()) && !"poll".equalsIgnoreCase(endpoint.getScheme())) {
            throw new IllegalArgumentException("Endpoint " + id + ": " + ENDPOINT + " '" + e
                    + "' is neither https:// nor poll://");
        }
        String thumbprint = thumbprint(description);
        if (thumbprint == null) {
            throw new IllegalArgumentException("Endpoint " + id + " has no " + THUMBPRINT
                    + "; without it the exporter cannot be authenticated");
        }
        Map<String, String> addresses = new LinkedHashMap<>();
        for (String pair : strings(description.get(ADDRESSES))) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw new IllegalArgumentException("Endpoint " + id + ": " + ADDRESSES + " entry '" + pair
                        + "' is not interface=address");
            }
            addresses.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        String polledThumbprint = null;
        if ("poll".equalsIgnoreCase(endpoint.getScheme())) {
            if (!(description.get(POLLED_THUMBPRINT) instanceof String p) || p.isBlank()) {
                throw new IllegalArgumentException("Endpoint " + id + " at " + e + " has no " + POLLED_THUMBPRINT
                        + "; without it no listener knows that the exporter polls it");
            }
            polledThumbprint = p;
        }
        long timeout = description.get(OSGI_BASIC_TIMEOUT) instanceof Number n ? n.longValue() : 0;
        return new Target(endpoint, thumbprint, addresses, Math.max(timeout, 0), polledThumbprint);
    }

    /** A String+ value (String, String[] or a collection of Strings) as a list; anything else as empty. */
    static List<String> strings(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof String s) {
            out.add(s);
        } else if (value instanceof String[] a) {
            out.addAll(List.of(a));
        } else if (value instanceof Iterable<?> it) {
            it.forEach(v -> {
                if (v instanceof String s) {
                    out.add(s);
                }
            });
        }
        return out;
    }
}
