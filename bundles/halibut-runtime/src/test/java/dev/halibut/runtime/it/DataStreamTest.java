package dev.halibut.runtime.it;

import dev.halibut.runtime.testing.FaultInjectingProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Streams in requests and responses, both modes: content, several per message, failures, no temp files left. */
class DataStreamTest {


    private static final URI SUBSCRIPTION = URI.create("poll://streams/");
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path callerTemp;
    @TempDir
    Path serviceTemp;

    private final FilesService service = new FilesService();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final AtomicLong callerReceived = new AtomicLong();
    private FaultInjectingProxy proxy;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
        assertNoFiles(callerTemp);
        assertNoFiles(serviceTemp);
    }

    private static void assertNoFiles(Path dir) throws IOException {
        try (Stream<Path> files = java.nio.file.Files.list(dir)) {
            assertThat(files).as("temporary files left in " + dir).isEmpty();
        }
    }

    /** Caller and service host wired in the given mode, through a fault proxy on the TCP connection. */
    private Files files(Mode mode) throws IOException {
        HalibutRuntime caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .temporaryDirectory(callerTemp)
                .streamProgress((id, receiving, transferred, total) -> {
                    if (receiving && transferred == total) {
                        callerReceived.addAndGet(total);
                    }
                }).build();
        HalibutRuntime tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .temporaryDirectory(serviceTemp)
                .service(Files.class, service).build();
        closeables.add(caller);
        closeables.add(tentacle);
        ModeWiring.Wired wired = ModeWiring.wire(mode, caller, tentacle, SUBSCRIPTION, port -> {
            proxy = new FaultInjectingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            // Closed after the runtimes in listening mode, before them (after the subscription) in polling mode.
            closeables.add(mode == Mode.LISTENING ? closeables.size() : 0, proxy);
            return proxy.port();
        }, 1);
        if (wired.subscription() != null) {
            closeables.add(0, wired.subscription());
        }
        return caller.createClient(Files.class, wired.endpoint());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void requestStreamArrivesIntact(Mode mode) throws IOException {
        Files files = files(mode);
        assertThat(files.sha256(DataStream.fromWriter(8 * MIB, out -> TestBytes.write(out, 8 * MIB, 42))))
                .isEqualTo(TestBytes.sha256(8 * MIB, 42));
        assertThat(files.sha256(DataStream.fromBytes("small".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(TestBytes.sha256(new java.io.ByteArrayInputStream("small".getBytes(StandardCharsets.UTF_8))));
        assertThat(files.sha256(DataStream.fromBytes(new byte[0])))
                .isEqualTo(TestBytes.sha256(new java.io.ByteArrayInputStream(new byte[0])));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void fileStreamIsSentFromDisk(Mode mode) throws IOException {
        Path file = callerTemp.resolveSibling(callerTemp.getFileName() + "-upload.bin");
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            TestBytes.write(out, 3 * MIB + 17, 5);
        }
        try {
            assertThat(files(mode).sha256(DataStream.fromFile(file))).isEqualTo(TestBytes.sha256(3 * MIB + 17, 5));
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void responseStreamCanBeReadOnceAndLeavesNoFile(Mode mode) throws IOException {
        Files files = files(mode);
        DataStream received = files.produce(5 * MIB, 9);
        assertThat(received.length()).isEqualTo(5 * MIB);
        // Read from the connection as it arrives, in both modes: a polled response's stream goes straight from the
        // subscriber connection to the caller in this process (the in-memory queue takes live streams).
        assertThat(countFiles(callerTemp)).isZero();
        try (InputStream in = received.openStream()) {
            assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(5 * MIB, 9));
        }
        assertThat(countFiles(callerTemp)).isZero();
        assertThatThrownBy(received::openStream).isInstanceOf(IllegalStateException.class).hasMessageContaining("once");
        assertThat(callerReceived).hasValue(5 * MIB);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void responseStreamCopiesToAFile(Mode mode) throws IOException {
        Path target = callerTemp.resolveSibling(callerTemp.getFileName() + "-download.bin");
        try {
            files(mode).produce(2 * MIB, 3).copyTo(target);
            try (InputStream in = java.nio.file.Files.newInputStream(target)) {
                assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(2 * MIB, 3));
            }
        } finally {
            java.nio.file.Files.deleteIfExists(target);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void severalStreamsInOneMessageEachWay(Mode mode) throws IOException {
        Files files = files(mode);
        DataStream main = DataStream.fromWriter(MIB, out -> TestBytes.write(out, MIB, 1));
        DataStream a = DataStream.fromBytes("alpha".getBytes(StandardCharsets.UTF_8));
        DataStream b = DataStream.fromWriter(200_000, out -> TestBytes.write(out, 200_000, 2));
        DataStream extra = DataStream.fromBytes(new byte[0]);
        assertThat(files.digestAll(new Files.Bundle("x", main, List.of(a, b)), extra)).containsExactly(
                TestBytes.sha256(MIB, 1),
                TestBytes.sha256(new java.io.ByteArrayInputStream("alpha".getBytes(StandardCharsets.UTF_8))),
                TestBytes.sha256(200_000, 2),
                TestBytes.sha256(new java.io.ByteArrayInputStream(new byte[0])));

        Files.Bundle echoed = files.echo(new Files.Bundle("y", DataStream.fromBytes(new byte[100_000]),
                List.of(DataStream.fromBytes("one".getBytes(StandardCharsets.UTF_8)),
                        DataStream.fromBytes("two".getBytes(StandardCharsets.UTF_8)))));
        assertThat(echoed.name()).isEqualTo("y!");
        assertThat(echoed.main().readAllBytes()).hasSize(100_000);
        assertThat(echoed.others().get(0).readAllText(StandardCharsets.UTF_8)).isEqualTo("one");
        assertThat(echoed.others().get(1).readAllText(StandardCharsets.UTF_8)).isEqualTo("two");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void writerThatThrowsHalfwayFailsTheCallAndTheServicesReadOfIt(Mode mode) throws IOException {
        Files files = files(mode);
        DataStream failing = DataStream.fromWriter(4 * MIB, out -> {
            TestBytes.write(out, 2 * MIB, 1);
            throw new IOException("source disappeared");
        });
        assertThatThrownBy(() -> files.sha256(failing)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Files.sha256").hasMessageContaining("source disappeared")
                .hasMessageContaining("may have");
        // The service ran as soon as the request arrived, and its read of the aborted stream failed, saying why.
        Await.until("the service's read to fail", Duration.ofSeconds(30), () -> service.readFailure.get() != null);
        assertThat(service.readFailure.get()).hasMessageContaining(failing.id().toString())
                .hasMessageContaining("Files.sha256").hasMessageContaining("source disappeared");
        // The runtime serves on.
        assertThat(files.sha256(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void wrongLengthFromAWriterFailsTheCall(Mode mode) throws IOException {
        Files files = files(mode);
        assertThatThrownBy(() -> files.sha256(DataStream.fromWriter(1000, out -> out.write(new byte[500]))))
                .isInstanceOf(HalibutClientException.class).hasMessageContaining("only 500 of the declared 1000");
        assertThatThrownBy(() -> files.sha256(DataStream.fromWriter(10, out -> out.write(new byte[11]))))
                .isInstanceOf(HalibutClientException.class).hasMessageContaining("more than the declared 10");
        assertThat(files.sha256(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void serviceWriterThatThrowsFailsTheCallWithItsReason(Mode mode) throws IOException {
        Files files = files(mode);
        // The call returns once the response is decoded (in both modes: a polled response's streams come straight
        // from the subscriber connection); the stream fails where it is read.
        DataStream broken = files.produceFailing(3 * MIB, MIB);
        assertThatThrownBy(broken::readAllBytes).isInstanceOf(IOException.class)
                .hasMessageContaining(broken.id().toString()).hasMessageContaining("the disk went away");
        assertThat(files.sha256(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void connectionCutMidStreamFailsTheCallAndTheServicesReadAndLeavesNoFiles(Mode mode) throws Exception {
        Files files = files(mode);
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch cut = new CountDownLatch(1);
        DataStream slow = DataStream.fromWriter(8 * MIB, out -> {
            TestBytes.write(out, 4 * MIB, 1);
            halfway.countDown();
            try {
                cut.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestBytes.write(out, 4 * MIB, 2);
        });
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> files.sha256(slow), OwnThread.EACH);
        // 4 MiB went out and the writer waits: the cut comes while the service reads the stream as it arrives. The
        // sockets and the proxy between can hold 4 MiB before the service is called, so wait for the call.
        assertThat(halfway.await(30, TimeUnit.SECONDS)).isTrue();
        Await.until("the service to be called", Duration.ofSeconds(30), () -> service.invocations.get() == 1);
        proxy.killAll();
        cut.countDown();
        assertThatThrownBy(() -> call.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(HalibutClientException.class);
        Await.until("the service's read to fail", Duration.ofSeconds(30), () -> service.readFailure.get() != null);
        assertThat(service.readFailure.get()).hasMessageContaining(slow.id().toString());
        Await.until("partial files to be deleted", Duration.ofSeconds(30),
                () -> countFiles(serviceTemp) + countFiles(callerTemp) == 0);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sendProgressIsReported(Mode mode) throws IOException {
        Files files = files(mode);
        List<Long> seen = new ArrayList<>();
        DataStream s = DataStream.fromWriter(300_000, out -> TestBytes.write(out, 300_000, 4))
                .withProgress((transferred, total) -> {
                    assertThat(total).isEqualTo(300_000);
                    seen.add(transferred);
                });
        files.sha256(s);
        assertThat(seen).isSorted().endsWith(300_000L).hasSize(5); // four full 64 KiB chunks and the rest
    }

    private static int countFiles(Path dir) {
        try (Stream<Path> files = java.nio.file.Files.list(dir)) {
            return (int) files.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
