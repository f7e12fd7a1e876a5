package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HttpProxy;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code proxy.*} keys of {@code dev.halibut.runtime} and {@code dev.halibut.poll}. */
class ProxySettingsTest {
    private static final String T = "0123456789abcdef0123456789abcdef01234567";

    @Test
    void noProxyKeysMeanNoProxy() {
        assertThat(RuntimeSettings.parse(Map.of()).proxy()).isNull();
    }

    @Test
    void theRuntimeProxyKeysGiveTheProxyWithCredentialsAndNoProxyList() {
        RuntimeSettings s = RuntimeSettings.parse(Map.of("proxy.host", "proxy.corp", "proxy.port", "3128",
                "proxy.username", "svc", "proxy.password", "pw", "proxy.no.proxy", "localhost, .internal, 10.0.0.0/8"));

        assertThat(s.proxy()).isEqualTo(new HttpProxy("proxy.corp", 3128, "svc", "pw",
                java.util.List.of("localhost", ".internal", "10.0.0.0/8")));
        assertThat(s.toString()).contains("proxy.corp:3128").doesNotContain("pw,").doesNotContain("=pw");
        assertThat(s.proxy().appliesTo(URI.create("https://a.internal:1/"))).isFalse();
        assertThat(s.proxy().appliesTo(URI.create("https://10.1.2.3:1/"))).isFalse();
        assertThat(s.proxy().appliesTo(URI.create("https://example.com:1/"))).isTrue();
    }

    @Test
    void aProxyChangeReplacesTheRuntime() {
        RuntimeSettings a = RuntimeSettings.parse(Map.of("proxy.host", "p", "proxy.port", "3128"));
        RuntimeSettings b = RuntimeSettings.parse(Map.of("proxy.host", "p", "proxy.port", "8080"));

        assertThat(a.sameExceptTrust(b)).isFalse();
    }

    @Test
    void badProxyValuesNameThePidAndTheKey() {
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("proxy.host", "p")))
                .hasMessageContaining("dev.halibut.runtime").hasMessageContaining("'proxy.port' is required");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("proxy.host", "p", "proxy.port", "70000")))
                .hasMessageContaining("proxy.port").hasMessageContaining("65535");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("proxy.port", "3128")))
                .hasMessageContaining("proxy.port").hasMessageContaining("proxy.host is not set");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("proxy.host", "p", "proxy.port", "1", "proxy.password", "secret")))
                .hasMessageContaining("proxy.password").hasMessageContaining("proxy.username is not set")
                .message().doesNotContain("secret");
        assertThatThrownBy(() -> RuntimeSettings.parse(Map.of("proxy.host", "p", "proxy.port", "1", "proxy.no.proxy", "10.0.0.0/99")))
                .hasMessageContaining("dev.halibut.runtime").hasMessageContaining("CIDR");
    }

    @Test
    void aPollConfigurationMayHaveItsOwnProxyOrNoneOverTheRuntimes() {
        Map<String, Object> base = Map.of("subscription", "poll://s/", "endpoint", "https://listener:8443/", "thumbprint", T);

        assertThat(PollSettings.parse(base).listener().proxy()).isNull();

        var own = new java.util.HashMap<String, Object>(base);
        own.putAll(Map.of("proxy.host", "edge", "proxy.port", "8080"));
        assertThat(PollSettings.parse(own).listener().proxyOr(new HttpProxy("runtime", 3128)))
                .contains(new HttpProxy("edge", 8080));

        var none = new java.util.HashMap<String, Object>(base);
        none.put("proxy.host", "none");
        assertThat(PollSettings.parse(none).listener().proxyOr(new HttpProxy("runtime", 3128))).isEmpty();
    }
}
