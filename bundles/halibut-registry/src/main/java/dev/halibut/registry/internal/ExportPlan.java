package dev.halibut.registry.internal;

import dev.halibut.registry.config.ConfigValues;
import dev.halibut.registry.config.HalibutConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What to export of one OSGi service, decided from its properties by the rules of Remote Services
 * (OSGi Compendium 100.2): which of its interfaces, or why none. Pure, so the rules are unit-tested
 * without a framework.
 *
 * @param interfaces the interface names to export, in {@code objectClass} order; empty when nothing is
 * @param problems   what an operator should hear about (bad names, unsupported intents), already worded
 * @param forUs      false when the service is meant for another distribution provider only; such
 *                   services are left alone silently
 */
public record ExportPlan(List<String> interfaces, List<String> problems, boolean forUs) {
    static final String CONFIG_TYPE = HalibutConfig.CONFIG_TYPE;
    static final String EXPORTED_INTERFACES = "service.exported.interfaces";
    static final String EXPORTED_CONFIGS = "service.exported.configs";
    static final String EXPORTED_INTENTS = "service.exported.intents";
    static final String EXPORTED_INTENTS_EXTRA = "service.exported.intents.extra";
    static final String INTENTS = "service.intents";
    /**
     * What every Halibut export provides (docs/osgi.md, "Intents"): osgi.basic (the chapter's data types as
     * parameters, results and properties), osgi.async (future and promise results complete off the caller's
     * thread) and osgi.confidential (mutual TLS). Advertised as {@code remote.intents.supported}.
     */
    public static final List<String> SUPPORTED_INTENTS = List.of("osgi.basic", "osgi.async", "osgi.confidential");

    public ExportPlan {
        interfaces = List.copyOf(interfaces);
        problems = List.copyOf(problems);
    }

    public static ExportPlan of(Map<String, ?> properties) {
        ConfigValues p = new ConfigValues("service " + properties.get("service.id"), properties);
        List<String> configs = p.strings(EXPORTED_CONFIGS);
        if (!configs.isEmpty() && !configs.contains(CONFIG_TYPE)) {
            return new ExportPlan(List.of(), List.of(), false);
        }
        List<String> objectClass = p.strings("objectClass");
        List<String> problems = new ArrayList<>();

        Set<String> required = new LinkedHashSet<>(p.strings(EXPORTED_INTENTS));
        required.addAll(p.strings(EXPORTED_INTENTS_EXTRA));
        // Intents the service implements itself (service.intents) need nothing from us.
        required.removeAll(p.strings(INTENTS));
        List<String> unsupported = required.stream().filter(i -> !SUPPORTED_INTENTS.contains(i)).toList();
        if (!unsupported.isEmpty()) {
            problems.add("requires intent(s) " + unsupported + " which Halibut does not provide (it provides "
                    + SUPPORTED_INTENTS + "); not exported");
            return new ExportPlan(List.of(), problems, true);
        }

        List<String> wanted = p.strings(EXPORTED_INTERFACES);
        List<String> interfaces = new ArrayList<>();
        if (wanted.contains("*")) {
            if (wanted.size() > 1) {
                problems.add(EXPORTED_INTERFACES + " " + wanted + " mixes '*' with names; exporting all of objectClass");
            }
            interfaces.addAll(objectClass);
        } else {
            for (String name : wanted) {
                if (objectClass.contains(name)) {
                    if (!interfaces.contains(name)) {
                        interfaces.add(name);
                    }
                } else {
                    problems.add(EXPORTED_INTERFACES + " names " + name + ", which is not among the service's objectClass "
                            + objectClass + "; skipped");
                }
            }
        }
        return new ExportPlan(interfaces, problems, true);
    }
}
