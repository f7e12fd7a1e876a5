package dev.halibut.registry.distribution;

import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.registry.internal.ExportPlan;
import dev.halibut.registry.internal.ExportProperties;
import dev.halibut.registry.internal.ImportedProxy;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry's Remote Services rules, for a distribution provider that drives exports and imports itself
 * (see the package documentation). Each method is exactly what the registry uses for its own exports and
 * static imports (docs/osgi.md, "Remote Services").
 */
public final class HalibutDistribution {

    /** The configuration type of Halibut endpoints: {@code service.exported.configs} / {@code service.imported.configs}. */
    public static final String CONFIG_TYPE = HalibutConfig.CONFIG_TYPE;

    /** The intents every Halibut export provides: osgi.basic, osgi.async, osgi.confidential. */
    public static final List<String> SUPPORTED_INTENTS = ExportPlan.SUPPORTED_INTENTS;

    private HalibutDistribution() {
    }

    /**
     * What to export of a service with these properties (Remote Services 100.2).
     *
     * @param interfaces the interface names to export, in {@code objectClass} order; empty when nothing is
     * @param problems   what an operator should hear about (bad names, unsupported intents), already worded
     * @param forUs      false when the service asks for other configuration types only
     */
    public record ExportDecision(List<String> interfaces, List<String> problems, boolean forUs) {
        public ExportDecision {
            interfaces = List.copyOf(interfaces);
            problems = List.copyOf(problems);
        }
    }

    /** Decides what of a service to export, from its properties (with {@code objectClass} and {@code service.id}). */
    public static ExportDecision decideExport(Map<String, ?> serviceProperties) {
        ExportPlan plan = ExportPlan.of(serviceProperties);
        return new ExportDecision(plan.interfaces(), plan.problems(), plan.forUs());
    }

    /**
     * The properties an export shows importers: the service's public properties, widened intents, and
     * {@code endpoint.id}, {@code endpoint.service.id}, {@code endpoint.framework.uuid}.
     */
    public static Map<String, Object> exportProperties(Map<String, ?> serviceProperties, String endpointId,
                                                       String frameworkUuid) {
        return ExportProperties.of(serviceProperties, endpointId, frameworkUuid);
    }

    /**
     * The service object of an import, as the registry registers for a static import: one proxy implementing
     * all {@code contracts}, translating Halibut failures to {@code ServiceException.REMOTE} and completing
     * asynchronous results off the caller's thread.
     *
     * @param clients     makes the runtime's client for one contract
     * @param description what the proxy's {@code toString} and failure messages name
     * @param serviceGone run when a call finds the remote service gone
     */
    public static Object importedProxy(List<Class<?>> contracts, Function<Class<?>, Object> clients,
                                       String description, Runnable serviceGone) {
        return ImportedProxy.create(contracts, clients, description, serviceGone);
    }
}
