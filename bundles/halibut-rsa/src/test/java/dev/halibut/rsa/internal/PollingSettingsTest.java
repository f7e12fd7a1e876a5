package dev.halibut.rsa.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class PollingSettingsTest {
    private static final String SELF = "3F1A9C0D2B4E6F8A1C3E5D7B9F0A2C4E6D8B0F1A";
    private static final String HUB = "00112233445566778899AABBCCDDEEFF00112233";

    @Test
    void withoutPollingEndpointTheNodePublishesAtItsListener() {
        assertThat(PollingSettings.of(ProviderConfigurations.listening("node-a", 0), SELF)).isNull();
        assertThat(PollingSettings.of(ProviderConfigurations.polling(" ", HUB, null, 1), SELF)).isNull();
    }

    @Test
    void theDefaultSubscriptionIsNamedAfterThisRuntimesThumbprint() {
        PollingSettings settings = PollingSettings.of(
                ProviderConfigurations.polling("https://hub.example:8443/", HUB.toLowerCase(), null, 1), SELF);

        assertThat(settings.subscription()).isEqualTo(URI.create("poll://rsa-" + SELF.toLowerCase() + "/"));
        assertThat(settings.subscription().getHost()).isEqualTo("rsa-" + SELF.toLowerCase());
        assertThat(settings.listener().baseUri()).isEqualTo(URI.create("https://hub.example:8443/"));
        assertThat(settings.listener().remoteThumbprint()).isEqualTo(HUB);
        assertThat(settings.connections()).isEqualTo(1);
    }

    @Test
    void aConfiguredSubscriptionAndConnectionCountAreUsed() {
        PollingSettings settings = PollingSettings.of(
                ProviderConfigurations.polling("https://hub:8443/", HUB, "poll://edge-7/", 3), SELF);

        assertThat(settings.subscription()).isEqualTo(URI.create("poll://edge-7/"));
        assertThat(settings.connections()).isEqualTo(3);
    }

    @Test
    void aPolledListenerWithoutThumbprintIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> PollingSettings.of(ProviderConfigurations.polling("https://hub:8443/", null, null, 1),
                SELF)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("etc/dev.halibut.rsa.cfg")
                .hasMessageContaining("polling.thumbprint").hasMessageContaining("https://hub:8443/");
    }

    @Test
    void malformedKeysAreRefusedNamingKeyAndValue() {
        assertThatThrownBy(() -> PollingSettings.of(ProviderConfigurations.polling("poll://hub/", HUB, null, 1), SELF))
                .hasMessageContaining("polling.endpoint = 'poll://hub/'").hasMessageContaining("https://");
        assertThatThrownBy(() -> PollingSettings.of(
                ProviderConfigurations.polling("https://hub:8443/", HUB, "https://edge/", 1), SELF))
                .hasMessageContaining("polling.subscription = 'https://edge/'");
        assertThatThrownBy(() -> PollingSettings.of(ProviderConfigurations.polling("https://hub:8443/", "xyz", null, 1),
                SELF)).hasMessageContaining("polling.thumbprint");
        assertThatThrownBy(() -> PollingSettings.of(ProviderConfigurations.polling("https://hub:8443/", HUB, null, 0),
                SELF)).hasMessageContaining("polling.connections = '0'");
    }
}
