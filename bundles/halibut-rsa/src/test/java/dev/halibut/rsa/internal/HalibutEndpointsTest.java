package dev.halibut.rsa.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.ServiceEndPoint;
import java.net.URI;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.service.remoteserviceadmin.EndpointDescription;

class HalibutEndpointsTest {
    private static final String THUMBPRINT = "3F1A9C0D2B4E6F8A1C3E5D7B9F0A2C4E6D8B0F1A";
    private static final String HUB = "00112233445566778899AABBCCDDEEFF00112233";
    private static final String OTHER_HUB = "FFEEDDCCBBAA99887766554433221100FFEEDDCC";
    private static final Publication HTTPS = Publication.listening(URI.create("https://node-a:8433/"));
    private static final Publication POLLING = Publication.polling(URI.create("poll://node-a/"),
            new ServiceEndPoint(URI.create("https://hub:8443/"), HUB));

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
                HTTPS, THUMBPRINT, "e-1", addresses));

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
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), HTTPS,
                THUMBPRINT, "e-1", Map.of("a.Calculator", "calculator@e-1"));
        p.remove(HalibutEndpoints.THUMBPRINT);

        assertThatThrownBy(() -> HalibutEndpoints.target(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("https://node-a:8433/e-1").hasMessageContaining("dev.halibut.thumbprint");
    }

    @Test
    void anEndpointThatIsNeitherHttpsNorPollIsRefused() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), HTTPS,
                THUMBPRINT, "e-1", Map.of("a.Calculator", "calculator@e-1"));
        p.put(HalibutEndpoints.ENDPOINT, "http://node-a:8433/");

        assertThatThrownBy(() -> HalibutEndpoints.target(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither https:// nor poll://");
    }

    @Test
    void aPollingExportIsDescribedAsItsSubscriptionWithTheListenerItPolls() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), POLLING, THUMBPRINT, "e-1",
                Map.of("a.Calculator", "calculator@e-1"));

        assertThat(p).containsEntry(HalibutEndpoints.ENDPOINT_ID, "poll://node-a/e-1")
                .containsEntry(HalibutEndpoints.ENDPOINT, "poll://node-a/")
                .containsEntry(HalibutEndpoints.POLLED_ENDPOINT, "https://hub:8443/")
                .containsEntry(HalibutEndpoints.POLLED_THUMBPRINT, HUB);
        HalibutEndpoints.Target target = HalibutEndpoints.target(p);
        assertThat(target.endpoint()).isEqualTo(URI.create("poll://node-a/"));
        assertThat(target.thumbprint()).isEqualTo(THUMBPRINT);
        assertThat(target.polledThumbprint()).isEqualTo(HUB);
        assertThat(HalibutEndpoints.target(HalibutEndpoints.describe(exportProperties(), HTTPS, THUMBPRINT, "e-1",
                Map.of("a.Calculator", "calculator@e-1"))).polledThumbprint()).isNull();
        assertThat(HalibutEndpoints.describe(exportProperties(), HTTPS, THUMBPRINT, "e-1", Map.of("a.Calculator", "c"))
                ).doesNotContainKeys(HalibutEndpoints.POLLED_ENDPOINT, HalibutEndpoints.POLLED_THUMBPRINT);
    }

    @Test
    void aPollEndpointWithoutItsListenersThumbprintCannotBeImported() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), POLLING, THUMBPRINT, "e-1",
                Map.of("a.Calculator", "calculator@e-1"));
        p.remove(HalibutEndpoints.POLLED_THUMBPRINT);

        assertThatThrownBy(() -> HalibutEndpoints.target(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("poll://node-a/e-1").hasMessageContaining(HalibutEndpoints.POLLED_THUMBPRINT);
        assertThat(HalibutEndpoints.verdict(p, HUB, t -> true)).isEqualTo(HalibutEndpoints.Verdict.POLLED_ELSEWHERE);
    }

    @Test
    void anHttpsEndpointIsImportedByWhoeverTrustsItsExporter() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), HTTPS, THUMBPRINT, "e-1",
                Map.of("a.Calculator", "calculator@e-1"));

        assertThat(HalibutEndpoints.verdict(p, HUB, Set.of(THUMBPRINT)::contains))
                .isEqualTo(HalibutEndpoints.Verdict.IMPORT);
        assertThat(HalibutEndpoints.verdict(p, OTHER_HUB, Set.of(THUMBPRINT)::contains))
                .isEqualTo(HalibutEndpoints.Verdict.IMPORT);
        assertThat(HalibutEndpoints.verdict(p, HUB, Set.<String>of()::contains))
                .isEqualTo(HalibutEndpoints.Verdict.UNTRUSTED);
    }

    @Test
    void aPollEndpointIsImportedOnlyByTheListenerItPollsAndOnlyIfThatTrustsItsExporter() {
        Map<String, Object> p = HalibutEndpoints.describe(exportProperties(), POLLING, THUMBPRINT, "e-1",
                Map.of("a.Calculator", "calculator@e-1"));

        assertThat(HalibutEndpoints.verdict(p, HUB.toLowerCase(java.util.Locale.ROOT), Set.of(THUMBPRINT)::contains))
                .isEqualTo(HalibutEndpoints.Verdict.IMPORT);
        assertThat(HalibutEndpoints.verdict(p, HUB, Set.<String>of()::contains))
                .isEqualTo(HalibutEndpoints.Verdict.UNTRUSTED);
        assertThat(HalibutEndpoints.verdict(p, OTHER_HUB, Set.of(THUMBPRINT)::contains))
                .isEqualTo(HalibutEndpoints.Verdict.POLLED_ELSEWHERE);
        assertThat(HalibutEndpoints.verdict(p, OTHER_HUB, Set.<String>of()::contains))
                .isEqualTo(HalibutEndpoints.Verdict.POLLED_ELSEWHERE);
    }

    @Test
    void descriptionsOfOtherProvidersAreNotOurs() {
        assertThat(HalibutEndpoints.isHalibut(Map.of("service.imported.configs", new String[] {"aries.tcp"}))).isFalse();
        assertThat(HalibutEndpoints.isHalibut(Map.of("service.imported.configs", "dev.halibut"))).isTrue();
    }

    @Test
    void theAdvertisedEndpointIsTheConfiguredHostAndTheRuntimesFirstListenPort() {
        assertThat(HalibutDistributionProvider.advertisedEndpoint(ProviderConfigurations.listening("node-a.example", 0), new Integer[] {8433, 9000}))
                .isEqualTo(URI.create("https://node-a.example:8433/"));
        assertThat(HalibutDistributionProvider.advertisedEndpoint(ProviderConfigurations.listening("::1", 443), new Integer[] {8433}))
                .isEqualTo(URI.create("https://[::1]:443/"));
        assertThat(HalibutDistributionProvider.advertisedEndpoint(ProviderConfigurations.listening("node-a", 0), new Integer[0])).isNull();
    }
}
