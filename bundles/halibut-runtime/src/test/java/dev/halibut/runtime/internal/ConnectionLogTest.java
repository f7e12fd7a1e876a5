package dev.halibut.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.runtime.ConnectionLogEntry;
import dev.halibut.runtime.ConnectionLogEntry.Level;
import java.net.InetSocketAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The connection log's three bounds, and the normal form of endpoint names. */
class ConnectionLogTest {

    @Test
    void keepsTheLastEntriesOfEachEndpoint() {
        ConnectionLog log = new ConnectionLog(3, 10);
        for (int i = 1; i <= 5; i++) {
            log.add("https://a:1/", Level.INFO, "event " + i);
        }
        assertThat(log.entries("https://a:1/")).extracting(ConnectionLogEntry::message)
                .containsExactly("event 3", "event 4", "event 5");
        assertThat(log.entries("https://unknown:1/")).isEmpty();
    }

    @Test
    void keepsOnlyTheMostRecentlyUsedEndpoints() {
        ConnectionLog log = new ConnectionLog(3, 2);
        log.add("https://a:1/", Level.INFO, "a");
        log.add("https://b:1/", Level.INFO, "b");
        log.add("https://a:1/", Level.WARN, "a again");
        log.add("https://c:1/", Level.INFO, "c");
        assertThat(log.endpoints()).containsExactly("https://c:1/", "https://a:1/");
        assertThat(log.entries("https://b:1/")).isEmpty();
        assertThat(log.entries("https://a:1/")).extracting(ConnectionLogEntry::level).containsExactly(Level.INFO, Level.WARN);
    }

    @Test
    void cutsLongMessages() {
        ConnectionLog log = new ConnectionLog(3, 2);
        log.add("poll://x/", Level.ERROR, "x".repeat(10_000));
        String message = log.entries("poll://x/").get(0).message();
        assertThat(message).hasSize(ConnectionLog.MAX_MESSAGE + 3).endsWith("...");
    }

    @Test
    void endpointNamesAreNormalised() {
        assertThat(EndpointKeys.of(URI.create("https://Server.Example:8443/some/path"))).isEqualTo("https://server.example:8443/");
        assertThat(EndpointKeys.of(URI.create("poll://Agent-7/x"))).isEqualTo("poll://agent-7/");
        assertThat(EndpointKeys.parse(" HTTPS://Server.Example:8443 ")).isEqualTo("https://server.example:8443/");
        assertThat(EndpointKeys.parse("poll://Agent-7")).isEqualTo("poll://agent-7/");
        assertThat(EndpointKeys.parse("not a uri")).isEqualTo("not a uri");
        assertThat(EndpointKeys.listener(new InetSocketAddress("127.0.0.1", 10933))).isEqualTo("listen://127.0.0.1:10933/");
        assertThat(EndpointKeys.listener(new InetSocketAddress("::1", 10933))).isEqualTo("listen://[0:0:0:0:0:0:0:1]:10933/");
    }
}
