package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportPropertiesTest {

    @Test
    void publicPropertiesAreDescribedWithEndpointPropertiesAndWidenedIntents() {
        Map<String, Object> service = new HashMap<>();
        service.put("service.id", 42L);
        service.put("service.bundleid", 7L);
        service.put("objectClass", new String[] {"a.Calculator"});
        service.put("service.exported.interfaces", "*");
        service.put("service.exported.intents", "osgi.async");
        service.put(".secret", "hidden");
        service.put("component.name", "a.CalculatorImpl");
        service.put("service.intents", "my.own");
        service.put("region", "eu");
        service.put("service.ranking", 3);

        Map<String, Object> described = ExportProperties.of(service, "e-1", "fw-1");

        assertThat(described).containsOnlyKeys("region", "service.ranking", "service.intents", "endpoint.id",
                "endpoint.service.id", "endpoint.framework.uuid");
        assertThat(described).containsEntry("endpoint.id", "e-1").containsEntry("endpoint.service.id", 42L)
                .containsEntry("endpoint.framework.uuid", "fw-1").containsEntry("service.ranking", 3);
        assertThat((String[]) described.get("service.intents"))
                .containsExactly("my.own", "osgi.basic", "osgi.async", "osgi.confidential");
    }
}
