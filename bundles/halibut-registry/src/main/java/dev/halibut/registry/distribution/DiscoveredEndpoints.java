package dev.halibut.registry.distribution;

import java.util.List;

/**
 * What a discovery-driven distribution provider found but did not import because the importer does not trust
 * the exporter's certificate (docs/osgi.md, "Trust still decides"). Registered by the {@code halibut-rsa}
 * bundle; {@code halibut:status} shows it as "discovered, not trusted".
 */
public interface DiscoveredEndpoints {

    /**
     * One discovered endpoint held back.
     *
     * @param endpointId its {@code endpoint.id}
     * @param endpoint   the URI it would be called at
     * @param thumbprint the thumbprint its exporter presents: trusting it imports the endpoint
     * @param interfaces its {@code objectClass}
     */
    record Untrusted(String endpointId, String endpoint, String thumbprint, List<String> interfaces) {
        public Untrusted {
            interfaces = List.copyOf(interfaces);
        }
    }

    /** The endpoints discovered now whose thumbprint is not trusted, sorted by endpoint id. */
    List<Untrusted> discoveredNotTrusted();
}
