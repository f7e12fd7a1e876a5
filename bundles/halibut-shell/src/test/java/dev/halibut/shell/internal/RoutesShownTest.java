package dev.halibut.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutObserver.Role;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.RuntimeStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * The operator sees how each connection travels, inbound as well as outbound: {@code halibut:connections} has a
 * Route column for the connections peers opened to this runtime's listeners ({@code tls} for raw Halibut,
 * {@code wss} for a WebSocket upgrade on the same port), and {@code halibut:status} counts the inbound ones over wss.
 */
class RoutesShownTest {

    @Test
    void connectionsShowsTheRouteOfEachInboundAndPollingConnection() throws Exception {
        CertificateAndKey listenerId = Certificates.generateSelfSigned("routes-listener");
        CertificateAndKey hostId = Certificates.generateSelfSigned("routes-host");
        try (HalibutRuntime listener = HalibutRuntime.builder().certificate(listenerId.certificate(), listenerId.privateKey())
                .trust(Certificates.thumbprint(hostId.certificate())).build();
             HalibutRuntime host = HalibutRuntime.builder().certificate(hostId.certificate(), hostId.privateKey()).build()) {
            int port = listener.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            PollingSubscription overWss = host.poll(URI.create("poll://over-wss/"),
                    new ServiceEndPoint(URI.create("wss://127.0.0.1:" + port + "/halibut"), listener.thumbprint()));
            PollingSubscription raw = host.poll(URI.create("poll://raw/"),
                    new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), listener.thumbprint()));
            waitUntil("both subscriptions to be connected and seen by the listener", () -> overWss.connectedCount() == 1
                    && raw.connectedCount() == 1 && listener.status().inbound().size() == 2);

            ConnectionsCommand atListener = new ConnectionsCommand();
            atListener.runtime = listener;
            String listenerView = output(atListener::execute);
            assertThat(row(listenerView, "poll://over-wss/")).containsExactly("poll://over-wss/", host.thumbprint(),
                    "polling service host", "1", "wss");
            assertThat(row(listenerView, "poll://raw/")).containsExactly("poll://raw/", host.thumbprint(),
                    "polling service host", "1", "tls");

            ConnectionsCommand atHost = new ConnectionsCommand();
            atHost.runtime = host;
            String hostView = output(atHost::execute);
            assertThat(row(hostView, "poll://over-wss/")).containsExactly("poll://over-wss/",
                    "wss://127.0.0.1:" + port + "/halibut", "wss", "1/1");
            assertThat(row(hostView, "poll://raw/")).containsExactly("poll://raw/", "https://127.0.0.1:" + port + "/",
                    "direct", "1/1");
        }
    }

    @Test
    void statusCountsTheInboundConnectionsThatCameOverWss() {
        RuntimeStatus onlyRaw = status(List.of(
                new RuntimeStatus.InboundConnections("listen://127.0.0.1:1/", "A", Role.CALLER, 2)));
        RuntimeStatus mixed = status(List.of(
                new RuntimeStatus.InboundConnections("listen://127.0.0.1:1/", "A", Role.CALLER, 2, RuntimeStatus.TLS),
                new RuntimeStatus.InboundConnections("poll://s/", "B", Role.SUBSCRIBER, 3, RuntimeStatus.WSS)));

        assertThat(StatusCommand.inbound(onlyRaw)).isEqualTo("2 inbound");
        assertThat(StatusCommand.inbound(mixed)).isEqualTo("5 inbound (3 over wss)");
    }

    private static RuntimeStatus status(List<RuntimeStatus.InboundConnections> inbound) {
        return new RuntimeStatus(Instant.now(), "T", List.of(), Set.of(), List.of(), List.of(), inbound, List.of(),
                List.of());
    }

    /** The cells of the table row whose first cell is {@code first} (ShellTable separates cells with " | "). */
    private static List<String> row(String output, String first) {
        return output.lines().filter(l -> l.startsWith(first + " ")).findFirst()
                .map(l -> Arrays.stream(l.split("\\|")).map(String::trim).toList())
                .orElseThrow(() -> new AssertionError("no row for " + first + " in:\n" + output));
    }

    /** What {@code command} prints to System.out (the Karaf commands print there). */
    private static String output(Callable<Object> command) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            command.call();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static void waitUntil(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after 30 s waiting for " + what);
            }
            Thread.sleep(20); // polling a condition with a deadline, not timing
        }
    }
}
