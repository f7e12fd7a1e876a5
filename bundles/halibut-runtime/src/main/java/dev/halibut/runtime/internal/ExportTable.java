package dev.halibut.runtime.internal;

import dev.halibut.runtime.ExportDescription;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The services a runtime exports, each under its own address ({@code name@endpointId}), and which export
 * answers a plain wire name: the one with the highest {@code service.ranking}, the earliest registered among
 * equals (OSGi's rule for choosing one service of several). Lookups are lock-free; changes are serialized.
 */
final class ExportTable {

    static final String SEPARATOR = "@";
    static final String RANKING = "service.ranking";

    /** One registered export. Its properties may be replaced; everything else is fixed. */
    static final class Export {
        final Class<?> contract;
        final ServiceMethods methods;
        final Object implementation;
        final String serviceName;
        final String endpointId;
        final String address;
        final long sequence;
        volatile Map<String, Object> properties;

        Export(Class<?> contract, Object implementation, String serviceName, String endpointId, long sequence,
               Map<String, Object> properties) {
            this.contract = contract;
            this.methods = new ServiceMethods(contract);
            this.implementation = implementation;
            this.serviceName = serviceName;
            this.endpointId = endpointId;
            this.address = serviceName + SEPARATOR + endpointId;
            this.sequence = sequence;
            this.properties = properties;
        }

        int ranking() {
            return properties.get(RANKING) instanceof Integer r ? r : 0;
        }
    }

    private final String frameworkUuid;
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, Export> byAddress = new LinkedHashMap<>();
    /** Rebuilt on every change and replaced whole, so lookups need no lock. */
    private volatile Map<String, Export> lookup = Map.of();

    /** @param frameworkUuid what {@code endpoint.framework.uuid} defaults to */
    ExportTable(String frameworkUuid) {
        this.frameworkUuid = frameworkUuid;
    }

    /**
     * Adds an export.
     *
     * @throws IllegalArgumentException the name is reserved, served for another contract, or the endpoint id
     *                                  serves it already
     */
    synchronized Export add(Class<?> contract, Object implementation, Map<String, ?> properties) {
        String name = Contracts.serviceName(contract);
        if (name.startsWith(ServiceInvoker.RESERVED_PREFIX)) {
            throw new IllegalArgumentException("Service name '" + name + "' of " + contract.getName()
                    + " is reserved: names starting with '" + ServiceInvoker.RESERVED_PREFIX + "' belong to built-in services");
        }
        if (name.contains(SEPARATOR)) {
            throw new IllegalArgumentException("Service name '" + name + "' of " + contract.getName() + " contains '"
                    + SEPARATOR + "', which separates a name from an endpoint id in addresses; choose another @Named value");
        }
        for (Export e : byAddress.values()) {
            if (e.serviceName.equals(name) && !e.contract.getName().equals(contract.getName())) {
                throw new IllegalArgumentException("Service name '" + name + "' of " + contract.getName()
                        + " is taken already by " + e.contract.getName()
                        + "; give one of them a different @jakarta.inject.Named value");
            }
        }
        Object requestedId = properties.get(ExportDescription.ENDPOINT_ID);
        String endpointId = requestedId instanceof String s && !s.isBlank() ? s : UUID.randomUUID().toString();
        long seq = sequence.incrementAndGet();
        Export export = new Export(contract, implementation, name, endpointId, seq, withDefaults(properties, endpointId, seq));
        if (byAddress.putIfAbsent(export.address, export) != null) {
            throw new IllegalArgumentException("Endpoint id '" + endpointId + "' serves '" + name
                    + "' already; each export of a contract needs its own endpoint id");
        }
        rebuild();
        return export;
    }

    synchronized void remove(Export export) {
        if (byAddress.remove(export.address, export)) {
            rebuild();
        }
    }

    synchronized void setProperties(Export export, Map<String, ?> properties) {
        export.properties = withDefaults(properties, export.endpointId, export.sequence);
        rebuild();
    }

    /** The export a request's service field names: an address, or a plain wire name. */
    Export find(String service) {
        return lookup.get(service);
    }

    /** The plain wire names served, sorted. */
    List<String> serviceNames() {
        return lookup.values().stream().map(e -> e.serviceName).distinct().sorted().toList();
    }

    /** Every export, in registration order. */
    synchronized List<Export> exports() {
        return List.copyOf(byAddress.values());
    }

    /** Whether {@code export} is the one its plain wire name reaches. */
    boolean answersPlainName(Export export) {
        return lookup.get(export.serviceName) == export;
    }

    private Map<String, Object> withDefaults(Map<String, ?> given, String endpointId, long seq) {
        Map<String, Object> p = new LinkedHashMap<>();
        given.forEach((k, v) -> {
            if (k != null && v != null) {
                p.put(k, v);
            }
        });
        p.put(ExportDescription.ENDPOINT_ID, endpointId);
        p.putIfAbsent(ExportDescription.ENDPOINT_SERVICE_ID, seq);
        p.putIfAbsent(ExportDescription.ENDPOINT_FRAMEWORK_UUID, frameworkUuid);
        return java.util.Collections.unmodifiableMap(p);
    }

    private void rebuild() {
        Map<String, Export> next = new HashMap<>(byAddress);
        Comparator<Export> preference = Comparator.comparingInt(Export::ranking).reversed()
                .thenComparingLong(e -> e.sequence);
        Map<String, List<Export>> byName = new HashMap<>();
        for (Export e : byAddress.values()) {
            byName.computeIfAbsent(e.serviceName, n -> new ArrayList<>()).add(e);
        }
        byName.forEach((name, list) -> next.put(name, list.stream().min(preference).orElseThrow()));
        lookup = Map.copyOf(next);
    }
}
