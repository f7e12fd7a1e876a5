package dev.halibut.registry.internal;

import dev.halibut.registry.config.ConfigValues;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The properties an export shows importers (Remote Services 100.4, as in an endpoint description): the
 * exported service's public properties, never {@code service.exported.*}, private ({@code .}-prefixed) keys or
 * this framework's bookkeeping; {@code service.intents} widened by what Halibut provides; and
 * {@code endpoint.id}, {@code endpoint.service.id} and {@code endpoint.framework.uuid}. Pure, so the rule is
 * unit-tested without a framework.
 */
public final class ExportProperties {

    /** Local to this framework: meaningless, or wrong, on an importer's. */
    private static final Set<String> LOCAL = Set.of("objectClass", "service.id", "service.bundleid", "service.scope",
            "service.pid", "service.factoryPid", "component.id", "component.name", "felix.fileinstall.filename",
            "service.imported", "service.imported.configs", "endpoint.id", "endpoint.service.id",
            "endpoint.framework.uuid");

    private ExportProperties() {
    }

    public static Map<String, Object> of(Map<String, ?> service, String endpointId, String frameworkUuid) {
        Map<String, Object> out = new LinkedHashMap<>();
        service.forEach((k, v) -> {
            if (v != null && !k.startsWith(".") && !k.startsWith("service.exported.") && !LOCAL.contains(k)) {
                out.put(k, v);
            }
        });
        ConfigValues values = new ConfigValues("service " + service.get("service.id"), service);
        Set<String> intents = new LinkedHashSet<>(values.strings(ExportPlan.INTENTS));
        intents.addAll(ExportPlan.SUPPORTED_INTENTS);
        out.put(ExportPlan.INTENTS, intents.toArray(new String[0]));
        out.put("endpoint.id", endpointId);
        if (service.get("service.id") instanceof Long id) {
            out.put("endpoint.service.id", id);
        }
        if (frameworkUuid != null) {
            out.put("endpoint.framework.uuid", frameworkUuid);
        }
        return out;
    }
}
