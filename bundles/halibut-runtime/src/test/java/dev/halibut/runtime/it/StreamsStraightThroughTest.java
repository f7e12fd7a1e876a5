package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import dev.halibut.runtime.RuntimeStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Received streams are read as they arrive (issue 15, item 2): a service reads a request stream from the
 * connection, a listening caller reads a response stream from it, and a temporary file appears only when a stream
 * is read out of order or after the service returned.
 */
class StreamsStraightThroughTest {


    private static final long MIB = 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A contract whose service watches the temporary directory while it reads. */
    public interface Streams {
        /** SHA-256 of the stream; reading it, the service checks for temporary files every 256 KiB. */
        String digestWatchingFiles(DataStream data);

        /** Reads {@code second} first, then {@code first}: "files while reading second / after both", digests. */
        List<String> secondThenFirst(DataStream first, DataStream second);

        /** Keeps the stream without reading it. */
        void keep(DataStream data);

        /** Reads the stream to its end and fails with what the read failed with. */
        String readExpectingFailure(DataStream data);

        /** A stream of {@code size} deterministic bytes. */
        DataStream produce(long size, long seed);
    }

    /** The service side of {@link Streams}. */
    public static final class StreamsService implements Streams {
        final Path temp;
        final CountDownLatch startedReading = new CountDownLatch(1);
        final AtomicInteger mostFilesSeen = new AtomicInteger(-1);
        final AtomicReference<DataStream> kept = new AtomicReference<>();
        final AtomicReference<IOException> readFailure = new AtomicReference<>();

        StreamsService(Path temp) {
            this.temp = temp;
        }

        @Override
        public String digestWatchingFiles(DataStream data) {
            try (InputStream in = data.openStream()) {
                var sha = java.security.MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                long nextCheck = 0;
                mostFilesSeen.set(countFiles(temp));
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    total += n;
                    if (total >= 64 * 1024) {
                        startedReading.countDown();
                    }
                    if (total >= nextCheck) {
                        mostFilesSeen.accumulateAndGet(countFiles(temp), Math::max);
                        nextCheck += 256 * 1024;
                    }
                }
                return java.util.HexFormat.of().formatHex(sha.digest());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public List<String> secondThenFirst(DataStream first, DataStream second) {
            try {
                List<String> out = new ArrayList<>();
                String b;
                int whileSecond;
                try (InputStream in = second.openStream()) {
                    whileSecond = countFiles(temp); // the first was stored to get to the second
                    b = TestBytes.sha256(in);
                }
                String a = TestBytes.sha256(new java.io.ByteArrayInputStream(first.readAllBytes()));
                out.add(whileSecond + "/" + countFiles(temp));
                out.add(a);
                out.add(b);
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void keep(DataStream data) {
            kept.set(data);
        }

        @Override
        public String readExpectingFailure(DataStream data) {
            try (InputStream in = data.openStream()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
                return "read to the end";
            } catch (IOException e) {
                readFailure.set(e);
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public DataStream produce(long size, long seed) {
            return DataStream.fromWriter(size, out -> TestBytes.write(out, size, seed));
        }
    }

    @TempDir
    Path callerTemp;
    @TempDir
    Path serviceTemp;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private HalibutRuntime caller;
    private HalibutRuntime tentacle;
    private StreamsService service;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
        assertThat(countFiles(callerTemp)).as("temporary files left by the caller").isZero();
        assertThat(countFiles(serviceTemp)).as("temporary files left by the service host").isZero();
    }

    private Streams streams(Mode mode) throws IOException {
        service = new StreamsService(serviceTemp);
        caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .temporaryDirectory(callerTemp).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .temporaryDirectory(serviceTemp)
                .service(Streams.class, service).build();
        closeables.add(caller);
        closeables.add(tentacle);
        ModeWiring.Wired wired = ModeWiring.wire(mode, caller, tentacle, URI.create("poll://straight/"));
        if (wired.subscription() != null) {
            closeables.add(0, wired.subscription());
        }
        return caller.createClient(Streams.class, wired.endpoint());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void serviceReadsAMultiMibStreamWhileItArrivesAndNoTemporaryFileExists(Mode mode) throws IOException {
        Streams streams = streams(mode);
        long size = 8 * MIB;
        DataStream upload = DataStream.fromWriter(size, out -> {
            TestBytes.write(out, MIB, 21);
            // The rest is written only once the service has read some: it is called before the stream has arrived.
            try {
                if (!service.startedReading.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IOException("the service did not read the stream while it was arriving");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            // The deterministic bytes after the first MiB: the whole sequence again, its first MiB skipped.
            TestBytes.write(new SkipFirst(out, MIB), size, 21);
        });
        assertThat(streams.digestWatchingFiles(upload)).isEqualTo(TestBytes.sha256(size, 21));
        assertThat(service.mostFilesSeen).as("temporary files while the service read").hasValue(0);
        assertThat(countFiles(serviceTemp)).as("temporary files after the call").isZero();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readingOutOfOrderStoresOnlyTheEarlierStream(Mode mode) throws IOException {
        Streams streams = streams(mode);
        List<String> answer = streams.secondThenFirst(
                DataStream.fromWriter(MIB, out -> TestBytes.write(out, MIB, 1)),
                DataStream.fromWriter(2 * MIB, out -> TestBytes.write(out, 2 * MIB, 2)));
        assertThat(answer.get(0)).as("files while the second was read / after both were read").isEqualTo("1/0");
        assertThat(answer.get(1)).isEqualTo(TestBytes.sha256(MIB, 1));
        assertThat(answer.get(2)).isEqualTo(TestBytes.sha256(2 * MIB, 2));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aStreamTheServiceKeepsUnreadIsStillReadableAfterItReturnsAndItsFileGoesOnceRead(Mode mode) throws IOException {
        Streams streams = streams(mode);
        streams.keep(DataStream.fromWriter(3 * MIB, out -> TestBytes.write(out, 3 * MIB, 7)));
        DataStream kept = service.kept.get();
        assertThat(countFiles(serviceTemp)).as("the unread rest stored before the response").isEqualTo(1);
        try (InputStream in = kept.openStream()) {
            assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(3 * MIB, 7));
        }
        assertThat(countFiles(serviceTemp)).as("the file once read").isZero();
        // The connection carried the response after the stored stream: it serves the next call.
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aStreamAbortedMidwayFailsTheServicesReadWithAClearMessageAndLeavesNoFile(Mode mode) throws IOException {
        Streams streams = streams(mode);
        DataStream broken = DataStream.fromWriter(4 * MIB, out -> {
            TestBytes.write(out, MIB, 3);
            throw new IOException("the source broke");
        });
        assertThatThrownBy(() -> streams.readExpectingFailure(broken)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("the source broke");
        Await.until("the service's read to fail", WAIT, () -> service.readFailure.get() != null);
        assertThat(service.readFailure.get()).hasMessageContaining("stream " + broken.id())
                .hasMessageContaining("Streams.readExpectingFailure from ")
                .hasMessageContaining(mode == Mode.LISTENING ? "127.0.0.1" : "https://localhost:")
                .hasMessageContaining("the source broke");
        assertThat(countFiles(serviceTemp)).isZero();
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    @Test
    void aCallerReadsAResponseStreamStraightThroughAndItsConnectionIsReusedOnlyOnceItIsConsumed() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        DataStream download = streams.produce(6 * MIB, 5);
        assertThat(countFiles(callerTemp)).as("nothing stored for a listening caller").isZero();
        assertThat(outbound()).as("the connection is the response's while its stream is unread").containsExactly(0, 1);

        // A call meanwhile needs a second connection.
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {2}))).hasSize(64);
        assertThat(outbound()).containsExactly(1, 1);

        try (InputStream in = download.openStream()) {
            assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(6 * MIB, 5));
            assertThat(countFiles(callerTemp)).isZero();
        }
        assertThat(outbound()).as("both back in the pool once the stream was read").containsExactly(2, 0);
        assertThat(inboundOpen()).isEqualTo(2);
        streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {3}));
        streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {4}));
        assertThat(inboundOpen()).as("later calls reuse them").isEqualTo(2);
    }

    @Test
    void discardingAResponseStreamGivesItsConnectionBack() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        DataStream download = streams.produce(6 * MIB, 5);
        assertThat(outbound()).containsExactly(0, 1);
        download.discard();
        assertThat(outbound()).as("skipped to its end and pooled").containsExactly(1, 0);
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
        assertThat(inboundOpen()).as("the next call reused it").isEqualTo(1);
    }

    @Test
    void readingExactlyTheDeclaredLengthGivesTheConnectionBackWithoutCloseOrEof() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        DataStream download = streams.produce(3 * MIB, 9);
        InputStream in = download.openStream(); // deliberately never closed, never read to EOF
        assertThat(in.readNBytes((int) (3 * MIB))).hasSize((int) (3 * MIB));
        assertThat(outbound()).as("pooled once the last byte was read").containsExactly(1, 0);
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
        assertThat(inboundOpen()).as("the next call reused it").isEqualTo(1);
        assertThat(in.read()).as("the stream is at its end").isEqualTo(-1);
    }

    @Test
    void closingAResponseStreamEarlySkipsTheRestAndGivesItsConnectionBack() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        DataStream download = streams.produce(6 * MIB, 5);
        try (InputStream in = download.openStream()) {
            assertThat(in.readNBytes(1000)).hasSize(1000);
        }
        assertThat(outbound()).containsExactly(1, 0);
        assertThat(countFiles(callerTemp)).isZero();
    }

    @Test
    void aResponseStreamDroppedUnreadClosesItsConnectionInsteadOfPoolingIt() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        produceAndDrop(streams);
        assertThat(outbound()).containsExactly(0, 1);
        Await.untilCollected("the dropped stream's connection to be closed", WAIT, () -> outbound().equals(List.of(0, 0)));
        Await.until("the service host to see the connection closed", WAIT, () -> inboundOpen() == 0);
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    @Test
    void aResponseStreamOpenedAndDroppedBeforeItsEndClosesItsConnectionInsteadOfHoldingIt() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        readSomeAndDrop(streams);
        assertThat(outbound()).containsExactly(0, 1);
        Await.untilCollected("the dropped reader's connection to be closed", WAIT, () -> outbound().equals(List.of(0, 0)));
        Await.until("the service host to see the connection closed", WAIT, () -> inboundOpen() == 0);
        assertThat(streams.digestWatchingFiles(DataStream.fromBytes(new byte[] {1}))).hasSize(64);
    }

    /** Opens a result stream, reads some of it, and lets go of both without closing anything. */
    private static void readSomeAndDrop(Streams streams) throws IOException {
        InputStream in = streams.produce(6 * MIB, 5).openStream();
        assertThat(in.readNBytes(1000)).hasSize(1000);
    }

    @Test
    void closingTheRuntimeEndsAConnectionHeldByAnUnreadResponseStream() throws IOException {
        Streams streams = streams(Mode.LISTENING);
        DataStream download = streams.produce(6 * MIB, 5);
        assertThat(outbound()).containsExactly(0, 1);
        caller.close();
        assertThatThrownBy(download::readAllBytes).isInstanceOf(IOException.class)
                .hasMessageContaining("tream " + download.id());
        Await.until("the service host to see the connection closed", WAIT, () -> inboundOpen() == 0);
    }

    private static void produceAndDrop(Streams streams) {
        assertThat(streams.produce(6 * MIB, 5).length()).isEqualTo(6 * MIB);
    }

    /** The caller's connections to the service host: [idle, in use]. */
    private List<Integer> outbound() {
        int idle = 0;
        int inUse = 0;
        for (RuntimeStatus.OutboundConnections o : caller.status().outbound()) {
            idle += o.idle();
            inUse += o.inUse();
        }
        return List.of(idle, inUse);
    }

    private int inboundOpen() {
        return tentacle.status().inbound().stream().mapToInt(RuntimeStatus.InboundConnections::open).sum();
    }

    private static int countFiles(Path dir) {
        try (Stream<Path> files = java.nio.file.Files.list(dir)) {
            return (int) files.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Passes on what is written after the first {@code skip} bytes. */
    private static final class SkipFirst extends java.io.OutputStream {
        private final java.io.OutputStream out;
        private long skip;

        SkipFirst(java.io.OutputStream out, long skip) {
            this.out = out;
            this.skip = skip;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int dropped = (int) Math.min(skip, len);
            skip -= dropped;
            if (len > dropped) {
                out.write(b, off + dropped, len - dropped);
            }
        }
    }
}
