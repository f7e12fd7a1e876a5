package dev.halibut.rsa.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.service.remoteserviceadmin.EndpointDescription;

class HalibutEndpointsTest {
    private static final String THUMBPRINT = "3F1A9C0D2B4E6F8A1C3E5D7B9F0A2C4E6D8B0F1A";

    private static Map<String, Object> exportProperties() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("region", "eu");
        p.put("osgi.basic.timeout", 2500L);
        p.put("service.intents", new String[] {"osgi.basic", "osgi.async", "osgi.confidential"});
        p.put("endpoint.id", "e-1");
        p.put("endpoint.service.id", 42L);
        p.put("endpoint.framework.uuid", "fw-1");
        return p;
    }

    @Test
    void anExportIsDescribedWithItsEndpointThumbprintAndAddressesAndImportsAsWhatItDescribes() {
        Map<String, String> addresses = new LinkedHashMap<>();
        addresses.put("a.Calculator", "calculator@e-1");
        addresses.put("a.Clock", "clock@e-1");

        EndpointDescription description = new EndpointDescription(HalibutEndpoints.describe(exportProperties(),
                URI.create("https://node-a:8433/"), THUMBPRINT, "e-1", addresses));

        assertThat(description.getId()).isEqualTo("https://node-a:8433/e-1");
        assertThat(description.getInterfaces()).containsExactly("a.Calculator", "a.Clock");
        assertThat(description.getConfigurationTypes()).containsExactly("dev.halibut");
        assertThat(description.getFrameworkUUID()).isEqualTo("fw-1");
        assertThat(description.getServiceId()).isEqualTo(42L);
        assertThat(description.getIntents()).containsExactly("osgi.basic", "osgi.async", "osgi.confidential");
        assertThat(description.getProperties()).containsEntry("region", "eu")
                .containsEntry(HalibutEndpoints.THUMBPRINT, THUMBPRINT)
                .containsEntry(HalibutEndpoints.EXPORT_ID, "e-1");
        assertThat(HalibutEndpoints.isHalibut(description.getProperties())).isTrue();

        HalibutEndpoints.Target target = HalibutEndpoints.target(description.getProperties());
        assertThat(target.endpoint()).isEqualTo(URI.create("https://node-a:8433/"));
        assertThat(target.thumbprint()).isEqualTo(THUMBPRINT);
        assertThat(target.addresses()).containsExactlyEntriesOf(addresses);
        assertThat(target.timeoutMillis()).isEqualTo(2500L);
    }

    @Test
    void aDescriptionWithoutThumbprintCannotBeImported() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), URI.create("https://node-a:8433/"),
                THUMBPRINT, "e-1", Map.of("a.Calculator", "calculator@e-1"));
        p.remove(HalibutEndpoints.THUMBPRINT);

        assertThatThrownBy(() -> HalibutEndpoints.target(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("https://node-a:8433/e-1").hasMessageContaining("dev.halibut.thumbprint");
    }

    @Test
    void anEndpointThatIsNeitherHttpsNorPollIsRefused() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), URI.create("https://node-a:8433/"),
                THUMBPRINT, "e-1", Map.of("a.Calculator", "calculator@e-1"));
        p.put(HalibutEndpoints.ENDPOINT, "http://node-a:8433/");

        assertThatThrownBy(() -> HalibutEndpoints.target(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither https:// nor poll://");
    }

    @Test
    void descriptionsOfOtherProvidersAreNotOurs() {
        assertThat(HalibutEndpoints.isHalibut(Map.of("service.imported.configs", new String[] {"aries.tcp"}))).isFalse();
        assertThat(HalibutEndpoints.isHalibut(Map.of("service.imported.configs", "dev.halibut"))).isTrue();
    }

    @Test
    void theAdvertisedEndpointIsTheConfiguredHostAndTheRuntimesFirstListenPort() {
        assertThat(HalibutDistributionProvider.advertisedEndpoint(config("node-a.example", 0), new Integer[] {8433, 9000}))
                .isEqualTo(URI.create("https://node-a.example:8433/"));
        assertThat(HalibutDistributionProvider.advertisedEndpoint(config("::1", 443), new Integer[] {8433}))
                .isEqualTo(URI.create("https://[::1]:443/"));
        assertThat(HalibutDistributionProvider.advertisedEndpoint(config("node-a", 0), new Integer[0])).isNull();
    }

    private static ProviderConfiguration config(String host, int port) {
        return new ProviderConfiguration() {
            @Override
            public String advertised_host() {
                return host;
            }

            @Override
            public int advertised_port() {
                return port;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ProviderConfiguration.class;
            }
        };
    }
}
