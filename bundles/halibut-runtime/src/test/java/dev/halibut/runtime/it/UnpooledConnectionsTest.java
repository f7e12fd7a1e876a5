package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Calls with connection pooling off ({@code poolMaxIdlePerEndpoint} 0): every call's connection is closed with END
 * after its response. That is a normal ending, so neither side logs a warning about it.
 */
class UnpooledConnectionsTest {

    private LogCapture log;
    private HalibutRuntime octopus;
    private HalibutRuntime tentacle;
    private ServiceEndPoint endpoint;

    @BeforeEach
    void start() {
        log = LogCapture.start();
        HalibutLimits unpooled = HalibutLimits.defaults().withPoolMaxIdlePerEndpoint(0);
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(unpooled).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, new CalculatorService()).service(Files.class, new FilesService()).build();
        int port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tentacle.trust(octopus.thumbprint());
        endpoint = new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint());
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            octopus.close();
            tentacle.close();
        } finally {
            log.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    @Test
    void connectionsClosedAfterEachCallLogNoWarning() throws Exception {
        Calculator calc = octopus.createClient(Calculator.class, endpoint);
        for (int i = 0; i < 300; i++) {
            assertThat(calc.add(i, 1)).isEqualTo(i + 1);
        }
        java.util.stream.IntStream.range(0, 200).parallel().forEach(i -> assertThat(calc.add(i, 1)).isEqualTo(i + 1));
        // With streams both ways: the connection ends right after the last stream frame of the result.
        Files files = octopus.createClient(Files.class, endpoint);
        for (int i = 0; i < 50; i++) {
            assertThat(files.sha256(DataStream.fromBytes(new byte[] {(byte) i}))).hasSize(64);
            assertThat(files.produce(100_000, i).readAllBytes()).hasSize(100_000);
        }
        // Each connection's end reaches the service host a moment after the call returns: wait for all 20.
        Await.until("the service host to see every connection closed", Duration.ofSeconds(10),
                () -> tentacle.status().inbound().stream().mapToInt(RuntimeStatus.InboundConnections::open).sum() == 0);
        assertThat(log.lines()).noneMatch(l -> l.contains("WARN"));
    }
}
