package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.DataStream;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 512 MiB each way with constant memory. Surefire runs this class alone in a JVM with {@code -Xmx64m}
 * (see the runtime pom): holding a stream in memory would fail with OutOfMemoryError.
 */
class LargeStreamMemoryTest {

    enum Mode { LISTENING, POLLING }

    private static final long SIZE = 512L * 1024 * 1024;

    @TempDir
    Path callerTemp;
    @TempDir
    Path serviceTemp;

    @Test
    void runsWithASmallHeap() {
        long max = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
        assertThat(max).as("this test must run with -Xmx64m").isLessThanOrEqualTo(64L * 1024 * 1024);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void halfAGibibyteEachWayInConstantMemory(Mode mode) throws Exception {
        try (HalibutRuntime caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .temporaryDirectory(callerTemp).build();
             HalibutRuntime tentacle = HalibutRuntime.builder()
                     .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                     .temporaryDirectory(serviceTemp).service(Files.class, new FilesService()).build()) {
            InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            ServiceEndPoint endpoint;
            if (mode == Mode.LISTENING) {
                int port = tentacle.listen(loopback);
                tentacle.trust(caller.thumbprint());
                endpoint = new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint());
            } else {
                int port = caller.listen(loopback);
                caller.trust(tentacle.thumbprint());
                tentacle.poll(URI.create("poll://large/"),
                        new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), caller.thumbprint()));
                endpoint = new ServiceEndPoint(URI.create("poll://large/"), tentacle.thumbprint());
            }
            Files files = caller.createClient(Files.class, endpoint);

            String expectedUp = TestBytes.sha256(SIZE, 11);
            assertThat(files.sha256(DataStream.fromWriter(SIZE, out -> TestBytes.write(out, SIZE, 11))))
                    .isEqualTo(expectedUp);

            DataStream down = files.produce(SIZE, 12);
            try (Stream<Path> stored = java.nio.file.Files.list(callerTemp)) {
                // In both modes: a polled response's stream, too, is read from the connection as it arrives.
                assertThat(stored).as("temporary files of the caller before it reads the result").isEmpty();
            }
            try (InputStream in = down.openStream()) {
                assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(SIZE, 12));
            }
        }
        ThreadLeaks.assertNoHalibutThreads();
        for (Path dir : new Path[] {callerTemp, serviceTemp}) {
            try (Stream<Path> left = java.nio.file.Files.list(dir)) {
                assertThat(left).as("temporary files in " + dir).isEmpty();
            }
        }
    }
}
