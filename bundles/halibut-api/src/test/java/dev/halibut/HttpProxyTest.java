package dev.halibut;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpProxyTest {

    private static boolean proxied(List<String> noProxy, String target) {
        return new HttpProxy("proxy", 3128).withNoProxy(noProxy).appliesTo(URI.create(target));
    }

    @Test
    void aProxyAppliesToEveryTargetWithoutANoProxyList() {
        assertThat(proxied(List.of(), "https://service.example:8443/")).isTrue();
        assertThat(proxied(List.of(), "https://127.0.0.1:8443/")).isTrue();
    }

    @Test
    void hostNamesInTheNoProxyListMatchThemselvesAndTheirSubdomainsCaseInsensitively() {
        List<String> list = List.of("Example.com", ".corp.local");
        assertThat(proxied(list, "https://example.com:1/")).isFalse();
        assertThat(proxied(list, "https://a.b.EXAMPLE.com:1/")).isFalse();
        assertThat(proxied(list, "https://corp.local:1/")).isFalse();
        assertThat(proxied(list, "https://x.corp.local:1/")).isFalse();
        assertThat(proxied(list, "https://notexample.com:1/")).isTrue();
        assertThat(proxied(list, "https://example.com.evil:1/")).isTrue();
    }

    @Test
    void addressesAndCidrBlocksMatchIpLiteralsOnly() {
        List<String> list = List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8", "[::1]");
        assertThat(proxied(list, "https://10.200.3.4:1/")).isFalse();
        assertThat(proxied(list, "https://11.0.0.1:1/")).isTrue();
        assertThat(proxied(list, "https://192.168.1.7:1/")).isFalse();
        assertThat(proxied(list, "https://192.168.1.8:1/")).isTrue();
        assertThat(proxied(list, "https://[fd12::5]:1/")).isFalse();
        assertThat(proxied(list, "https://[fe80::5]:1/")).isTrue();
        assertThat(proxied(list, "https://[::1]:1/")).isFalse();
        // A name is never resolved to decide: "localhost" is not 127.0.0.0/8 here.
        assertThat(proxied(List.of("127.0.0.0/8"), "https://localhost:1/")).isTrue();
    }

    @Test
    void aStarBypassesTheProxyForEveryTarget() {
        assertThat(proxied(List.of("*"), "https://anything:1/")).isFalse();
    }

    @Test
    void directAppliesToNothing() {
        assertThat(HttpProxy.DIRECT.appliesTo(URI.create("https://x:1/"))).isFalse();
        assertThat(HttpProxy.DIRECT.isDirect()).isTrue();
    }

    @Test
    void invalidSettingsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> new HttpProxy("p", 0)).hasMessageContaining("port");
        assertThatThrownBy(() -> new HttpProxy(" ", 80)).hasMessageContaining("blank");
        assertThatThrownBy(() -> new HttpProxy("p", 80, null, "pw", List.of())).hasMessageContaining("without a username");
        assertThatThrownBy(() -> new HttpProxy("p", 80, "a:b", "pw", List.of())).hasMessageContaining("':'");
        assertThatThrownBy(() -> new HttpProxy("p", 80).withNoProxy(List.of("10.0.0.0/33"))).hasMessageContaining("CIDR");
        assertThatThrownBy(() -> new HttpProxy("p", 80).withNoProxy(List.of("host/8"))).hasMessageContaining("CIDR");
    }

    @Test
    void theTextFormNeverHasThePassword() {
        HttpProxy p = new HttpProxy("proxy", 3128).withCredentials("svc", "hunter2");
        assertThat(p.toString()).contains("proxy:3128").contains("svc").doesNotContain("hunter2");
        assertThat(new HttpProxy("::1", 3128).address()).isEqualTo("[::1]:3128");
    }

    @Test
    void anEndpointUsesItsOwnProxyElseTheRuntimesAndNeverForPolling() {
        HttpProxy runtime = new HttpProxy("runtime", 1);
        HttpProxy own = new HttpProxy("own", 2);
        ServiceEndPoint e = new ServiceEndPoint(URI.create("https://host:8443/"), "A".repeat(40));

        assertThat(e.proxyOr(null)).isEmpty();
        assertThat(e.proxyOr(runtime)).contains(runtime);
        assertThat(e.withProxy(own).proxyOr(runtime)).contains(own);
        assertThat(e.withProxy(HttpProxy.DIRECT).proxyOr(runtime)).isEmpty();
        assertThat(e.withProxy(own).withLimits(HalibutLimits.defaults()).proxy()).isEqualTo(own);
        assertThat(new ServiceEndPoint(URI.create("poll://s/"), "A".repeat(40)).proxyOr(runtime)).isEmpty();
    }
}
