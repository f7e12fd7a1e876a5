package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImportAndPollSettingsTest {
    private static final String T = "0123456789abcdef0123456789abcdef01234567";

    @Test
    void anImportCopiesPublicPropertiesButNeverExportOrBookkeepingOnes() {
        Map<String, Object> config = new HashMap<>(Map.of("endpoint", "https://host:8443/", "thumbprint", T,
                "interfaces", "a.Calculator, a.Admin", "service.pid", "dev.halibut.import.x",
                "felix.fileinstall.filename", "file:/etc/x.cfg", "region", "eu", ".secret", "s",
                "service.exported.interfaces", "*"));
        config.put("osgi.ds.satisfying.condition.target", "(osgi.condition.id=true)");
        config.put("component.name", "dev.halibut.registry.internal.ImportComponent");

        ImportSettings s = ImportSettings.parse(config);

        assertThat(s.endpoint().baseUri()).isEqualTo(URI.create("https://host:8443/"));
        assertThat(s.endpoint().remoteThumbprint()).isEqualTo(T.toUpperCase());
        assertThat(s.interfaces()).containsExactly("a.Calculator", "a.Admin");
        assertThat(s.extraProperties()).containsOnlyKeys("region");
    }

    @Test
    void anImportWithoutItsRequiredKeysSaysWhatIsMissing() {
        assertThatThrownBy(() -> ImportSettings.parse(Map.of("thumbprint", T, "interfaces", "a.B")))
                .hasMessageContaining("'endpoint' is required");
        assertThatThrownBy(() -> ImportSettings.parse(Map.of("endpoint", "poll://x/", "interfaces", "a.B")))
                .hasMessageContaining("'thumbprint' is required");
        assertThatThrownBy(() -> ImportSettings.parse(Map.of("endpoint", "poll://x/", "thumbprint", T, "filter", "(a=")))
                .hasMessageContaining("filter = '(a='").hasMessageContaining("LDAP");
        assertThatThrownBy(() -> ImportSettings.parse(Map.of("endpoint", "ftp://x/", "thumbprint", T, "interfaces", "a.B")))
                .hasMessageContaining("https://").hasMessageContaining("poll://");
        assertThatThrownBy(() -> ImportSettings.parse(Map.of("endpoint", "https://x:1/", "thumbprint", "12", "interfaces", "a.B")))
                .hasMessageContaining("40 hex");
    }

    @Test
    void anImportNeedsOnlyEndpointAndThumbprintAndMaySelectByEndpointIdOrFilter() {
        ImportSettings bare = ImportSettings.parse(Map.of("endpoint", "poll://x/", "thumbprint", T));
        assertThat(bare.interfaces()).isEmpty();
        assertThat(bare.endpointId()).isNull();
        assertThat(bare.filter()).isNull();

        ImportSettings selecting = ImportSettings.parse(Map.of("endpoint", "poll://x/", "thumbprint", T,
                "endpoint.id", "e-1", "filter", "(region=eu)", "region", "local"));
        assertThat(selecting.endpointId()).isEqualTo("e-1");
        assertThat(selecting.filter().matches(Map.of("region", "eu"))).isTrue();
        assertThat(selecting.extraProperties()).containsOnlyKeys("region");
    }

    @Test
    void aPollConfigurationNeedsAPollSubscriptionAndAnHttpsListener() {
        PollSettings s = PollSettings.parse(Map.of("subscription", "poll://calc/", "endpoint", "https://h:1/",
                "thumbprint", T, "connections", "2"));

        assertThat(s.subscription()).isEqualTo(URI.create("poll://calc/"));
        assertThat(s.listener().baseUri()).isEqualTo(URI.create("https://h:1/"));
        assertThat(s.connections()).isEqualTo(2);
        assertThatThrownBy(() -> PollSettings.parse(Map.of("subscription", "https://calc/", "endpoint", "https://h:1/",
                "thumbprint", T))).hasMessageContaining("subscription = 'https://calc/'");
        assertThatThrownBy(() -> PollSettings.parse(Map.of("subscription", "poll://calc/", "endpoint", "poll://h/",
                "thumbprint", T))).hasMessageContaining("endpoint = 'poll://h/'");
        assertThatThrownBy(() -> PollSettings.parse(Map.of("subscription", "poll://calc/", "endpoint", "https://h:1/",
                "thumbprint", T, "connections", "0"))).hasMessageContaining("connections = '0'");
    }

    @Test
    void aPollConfigurationMayNameAWssListenerWithAPath() {
        PollSettings s = PollSettings.parse(Map.of("subscription", "poll://calc/", "endpoint", "wss://lb.example:443/halibut",
                "thumbprint", T));

        assertThat(s.listener().baseUri()).isEqualTo(URI.create("wss://lb.example:443/halibut"));
        assertThatThrownBy(() -> PollSettings.parse(Map.of("subscription", "poll://calc/", "endpoint", "ws://h:1/",
                "thumbprint", T))).hasMessageContaining("endpoint = 'ws://h:1/'").hasMessageContaining("wss://");
        assertThatThrownBy(() -> PollSettings.parse(Map.of("subscription", "poll://calc/", "endpoint", "wss://h/x",
                "thumbprint", T))).hasMessageContaining("host and a port");
    }
}
