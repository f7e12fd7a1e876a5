package dev.halibut.runtime;

import java.util.List;
import java.util.Map;

/**
 * One endpoint a runtime exports, as {@link HalibutRuntime#describe} reads it from the runtime that
 * serves it: its id, the contract interfaces it serves and under which wire addresses, and its
 * properties. The property set follows OSGi Remote Services endpoint descriptions: it holds
 * {@code endpoint.id}, {@code endpoint.service.id}, {@code endpoint.framework.uuid} and {@code objectClass}
 * besides the properties the service was registered with (see docs/protocol.md, "Built-in services").
 *
 * @param endpointId the export's id: unique per exported service, stable while it is exported
 * @param interfaces the fully qualified contract interface names it serves
 * @param addresses  for each interface, the wire address that reaches exactly this export (pass it to
 *                   {@link HalibutRuntime#createClient(Class, dev.halibut.ServiceEndPoint, String)})
 * @param properties the export's properties: {@code String}, {@code Long}, {@code Integer}, {@code Short},
 *                   {@code Byte}, {@code Character}, {@code Double}, {@code Float} and {@code Boolean} values,
 *                   arrays of these or of their primitives, and {@code List}s and {@code Set}s of them
 */
public record ExportDescription(String endpointId, List<String> interfaces, Map<String, String> addresses,
                                Map<String, Object> properties) {

    /** Property holding the export's id. */
    public static final String ENDPOINT_ID = "endpoint.id";
    /** Property holding the id of the exported service in its framework (a sequence number in plain Java). */
    public static final String ENDPOINT_SERVICE_ID = "endpoint.service.id";
    /** Property holding the id of the exporting framework (a runtime's own random id in plain Java). */
    public static final String ENDPOINT_FRAMEWORK_UUID = "endpoint.framework.uuid";

    public ExportDescription {
        interfaces = List.copyOf(interfaces);
        addresses = Map.copyOf(addresses);
        properties = Map.copyOf(properties);
    }
}
