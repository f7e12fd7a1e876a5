package dev.halibut.runtime.internal;

import dev.halibut.runtime.ExportDescription;
import jakarta.inject.Named;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in {@code halibut.describe} service: what a runtime exports, with each export's properties
 * (docs/protocol.md, "Built-in services"). The records are its wire shape.
 */
final class Description {

    static final String SERVICE = "halibut.describe";
    static final String METHOD = "describe";
    static final String OBJECT_CLASS = "objectClass";

    private Description() {
    }

    /** The client side's contract of the built-in service. */
    @Named(SERVICE)
    interface Service {
        List<Endpoint> describe();
    }

    /** One export: its id, the contracts it serves, and its properties. */
    public record Endpoint(String endpointId, List<Served> services, List<Property> properties) {
    }

    /**
     * One contract of an export.
     *
     * @param interfaceName the contract's fully qualified interface name
     * @param service       its plain wire name
     * @param address       the wire name that reaches exactly this export
     * @param plainName     whether the plain wire name reaches this export too
     */
    public record Served(String interfaceName, String service, String address, boolean plainName) {
    }

    /** One property: type name, kind ({@code scalar}, {@code array}, {@code list}, {@code set}) and values. */
    public record Property(String key, String type, String kind, List<String> values) {
    }

    /** The answer to {@code describe}: the exports grouped by endpoint id, in registration order. */
    static List<Endpoint> of(ExportTable table) {
        Map<String, List<ExportTable.Export>> byId = new LinkedHashMap<>();
        for (ExportTable.Export e : table.exports()) {
            byId.computeIfAbsent(e.endpointId, id -> new ArrayList<>()).add(e);
        }
        List<Endpoint> endpoints = new ArrayList<>();
        byId.forEach((id, exports) -> {
            List<Served> served = new ArrayList<>();
            List<String> interfaces = new ArrayList<>();
            for (ExportTable.Export e : exports) {
                served.add(new Served(e.contract.getName(), e.serviceName, e.address, table.answersPlainName(e)));
                interfaces.add(e.contract.getName());
            }
            Map<String, Object> properties = new LinkedHashMap<>(exports.get(0).properties);
            properties.put(OBJECT_CLASS, interfaces.toArray(new String[0]));
            List<Property> wire = new ArrayList<>();
            properties.forEach((k, v) -> wire.add(PropertyValues.encode(k, v)));
            endpoints.add(new Endpoint(id, served, wire));
        });
        return endpoints;
    }

    /**
     * Reads an answer.
     *
     * @throws IllegalArgumentException it is not a valid description; the message says what is wrong
     */
    static List<ExportDescription> read(List<Endpoint> endpoints) {
        if (endpoints == null) {
            throw new IllegalArgumentException("the description is empty (null)");
        }
        List<ExportDescription> out = new ArrayList<>();
        for (Endpoint e : endpoints) {
            if (e == null || e.endpointId() == null || e.endpointId().isBlank() || e.services() == null
                    || e.services().isEmpty()) {
                throw new IllegalArgumentException("an export lacks its endpointId or services: " + e);
            }
            List<String> interfaces = new ArrayList<>();
            Map<String, String> addresses = new LinkedHashMap<>();
            for (Served s : e.services()) {
                if (s == null || s.interfaceName() == null || s.address() == null || s.address().isBlank()) {
                    throw new IllegalArgumentException("export " + e.endpointId() + " names a service without its"
                            + " interfaceName or address: " + s);
                }
                interfaces.add(s.interfaceName());
                addresses.put(s.interfaceName(), s.address());
            }
            Map<String, Object> properties = new LinkedHashMap<>();
            if (e.properties() != null) {
                for (Property p : e.properties()) {
                    if (p == null) {
                        throw new IllegalArgumentException("export " + e.endpointId() + " has a null property");
                    }
                    try {
                        properties.put(p.key(), PropertyValues.decode(p));
                    } catch (IllegalArgumentException ex) {
                        throw new IllegalArgumentException("export " + e.endpointId() + ": " + ex.getMessage(), ex);
                    }
                }
            }
            properties.put(ExportDescription.ENDPOINT_ID, e.endpointId());
            properties.put(OBJECT_CLASS, interfaces.toArray(new String[0]));
            out.add(new ExportDescription(e.endpointId(), interfaces, addresses, properties));
        }
        return out;
    }
}
