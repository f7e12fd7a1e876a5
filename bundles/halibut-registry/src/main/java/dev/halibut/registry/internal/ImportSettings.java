package dev.halibut.registry.internal;

import dev.halibut.ServiceEndPoint;
import dev.halibut.registry.config.ConfigValues;
import dev.halibut.registry.config.HalibutConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

/**
 * One configuration of factory PID {@value #FACTORY_PID}, parsed and checked.
 *
 * @param endpoint        where the remote service lives, with its thumbprint
 * @param interfaces      contract interface names, in the configured order; empty: those of the selected export
 * @param endpointId      selects the export with this {@code endpoint.id}, or null
 * @param filter          selects the export whose properties match this LDAP filter, or null
 * @param extraProperties the configuration's other public properties, to be copied onto the proxy
 */
record ImportSettings(ServiceEndPoint endpoint, List<String> interfaces, String endpointId, Filter filter,
                      Map<String, Object> extraProperties) {
    static final String FACTORY_PID = HalibutConfig.IMPORT_FACTORY_PID;
    static final String ENDPOINT = HalibutConfig.ENDPOINT;
    static final String THUMBPRINT = HalibutConfig.THUMBPRINT;
    static final String INTERFACES = HalibutConfig.INTERFACES;
    static final String ENDPOINT_ID = HalibutConfig.ENDPOINT_ID;
    static final String FILTER = HalibutConfig.FILTER;

    /** Configuration bookkeeping that says nothing about the remote service. */
    private static final Set<String> NOT_COPIED = Set.of(ENDPOINT, THUMBPRINT, INTERFACES, FILTER, "service.pid",
            "service.factoryPid", "service.bundleLocation", "component.name", "component.id",
            "felix.fileinstall.filename", "objectClass", "service.id", "service.bundleid", "service.scope",
            "service.imported", "service.imported.configs", "endpoint.id", "halibut.endpoint",
            // DS: the component's reference target override and SCR's satisfying condition.
            "runtime.target");

    ImportSettings {
        interfaces = List.copyOf(interfaces);
        extraProperties = Map.copyOf(extraProperties);
    }

    static ImportSettings parse(Map<String, ?> properties) {
        ConfigValues c = new ConfigValues(FACTORY_PID + " " + String.valueOf(properties.get("service.pid")), properties);
        URI uri = uri(c, ENDPOINT, c.requiredString(ENDPOINT, "https://host:8443/ or poll://subscription/"));
        String thumbprint = c.requiredString(THUMBPRINT, "the remote runtime's 40-hex-character thumbprint");
        ServiceEndPoint endpoint;
        try {
            endpoint = new ServiceEndPoint(uri, thumbprint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.pid() + ": " + e.getMessage(), e);
        }
        List<String> interfaces = c.strings(INTERFACES);
        String endpointId = c.string(ENDPOINT_ID);
        String filterText = c.string(FILTER);
        Filter filter = null;
        if (filterText != null) {
            try {
                filter = FrameworkUtil.createFilter(filterText);
            } catch (InvalidSyntaxException e) {
                throw c.invalid(FILTER, filterText, "not an LDAP filter: " + e.getMessage());
            }
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        properties.forEach((k, v) -> {
            // service.exported.* never crosses to the import side (Remote Services 100.2.2); keys starting
            // with '.' are private by Config Admin convention.
            if (!NOT_COPIED.contains(k) && !k.startsWith("service.exported.") && !k.startsWith(".")
                    && !k.startsWith("osgi.ds.") && v != null) {
                extra.put(k, v);
            }
        });
        return new ImportSettings(endpoint, interfaces, endpointId, filter, extra);
    }

    static URI uri(ConfigValues c, String key, String value) {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw c.invalid(key, value, "not a URI: " + e.getMessage());
        }
    }
}
