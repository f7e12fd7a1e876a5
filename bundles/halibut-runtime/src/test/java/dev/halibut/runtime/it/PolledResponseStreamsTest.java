package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A polled response's streams go straight from the subscriber connection to the caller in this process (issue 15,
 * item 2), as a listening caller's do: the call returns once the response is decoded, the caller reads the stream
 * while the service host still writes it, nothing is stored in the caller's temporary directory, and the
 * subscriber connection carries the next request once the streams were read, discarded or closed early, or were
 * skipped because the caller had given up. One subscriber connection throughout: a call served on a new one would
 * mean the old one was closed.
 */
class PolledResponseStreamsTest {

    private static final long MIB = 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final URI SUBSCRIPTION = URI.create("poll://straight-polled/");
    /**
     * The listener's keep-alive: short, so that a keep-alive NEXT sent while a caller reads a response stream from the
     * connection (it must not be) would come in the middle of every test's stream and break it.
     */
    private static final Duration KEEP_ALIVE = Duration.ofMillis(50);

    /** The contract of this test. */
    public interface Downloads {
        /** {@code size} deterministic bytes from {@code seed}. */
        DataStream produce(long size, long seed);

        /** As {@link #produce}, but the writer stops after its first MiB until the test opens the gate. */
        DataStream produceGated(long size, long seed);

        /** Returns {@link #produce}'s stream only once the test opens the gate (the caller may have given up). */
        DataStream produceLate(long size, long seed);

        /** Reads {@code upload} to its end, then answers as {@link #produce}. */
        DataStream produceAfterReading(DataStream upload, long size, long seed);

        String echo(String text);
    }

    /** The service side: the gate and what its writers saw. */
    static final class DownloadsService implements Downloads {
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch called = new CountDownLatch(1);
        /** The number of bytes of a gated stream written when its writer went on (or failed). */
        final AtomicReference<String> writerOutcome = new AtomicReference<>();

        @Override
        public DataStream produce(long size, long seed) {
            return DataStream.fromWriter(size, out -> TestBytes.write(out, size, seed));
        }

        @Override
        public DataStream produceGated(long size, long seed) {
            return DataStream.fromWriter(size, out -> {
                try {
                    TestBytes.write(new GateAfter(out, MIB, gate, writerOutcome), size, seed);
                } catch (IOException e) {
                    writerOutcome.compareAndSet(null, "failed: " + e);
                    throw e;
                }
            });
        }

        @Override
        public DataStream produceLate(long size, long seed) {
            called.countDown();
            try {
                if (!gate.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return produce(size, seed);
        }

        @Override
        public DataStream produceAfterReading(DataStream upload, long size, long seed) {
            try (InputStream in = upload.openStream()) {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return produce(size, seed);
        }

        @Override
        public String echo(String text) {
            return text;
        }
    }

    @TempDir
    Path callerTemp;
    @TempDir
    Path serviceTemp;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final AtomicInteger subscriberConnections = new AtomicInteger();
    private final DownloadsService service = new DownloadsService();
    private HalibutRuntime caller;
    private HalibutRuntime tentacle;
    private ServiceEndPoint endpoint;

    @AfterEach
    void stop() throws Exception {
        service.gate.countDown();
        for (AutoCloseable c : closeables) {
            c.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
        assertThat(countFiles(callerTemp)).as("temporary files left by the caller").isZero();
        assertThat(countFiles(serviceTemp)).as("temporary files left by the service host").isZero();
    }

    /** The caller listens, the service host polls it with one connection. */
    private Downloads downloads() {
        caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .temporaryDirectory(callerTemp)
                .timeouts(HalibutLimits.defaults().withPollingKeepAlive(KEEP_ALIVE))
                .observer(new HalibutObserver() {
                    @Override
                    public void connectionOpened(ConnectionEvent event) {
                        if (event.role() == Role.SUBSCRIBER) {
                            subscriberConnections.incrementAndGet();
                        }
                    }
                }).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .temporaryDirectory(serviceTemp)
                .service(Downloads.class, service).build();
        int port = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        caller.trust(tentacle.thumbprint());
        PollingSubscription subscription = tentacle.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), caller.thumbprint()));
        closeables.add(subscription);
        closeables.add(caller);
        closeables.add(tentacle);
        endpoint = new ServiceEndPoint(SUBSCRIPTION, tentacle.thumbprint());
        return caller.createClient(Downloads.class, endpoint);
    }

    @Test
    void aLargePolledStreamIsReadWhileTheServiceHostStillWritesItAndNothingIsStored() throws Exception {
        Downloads downloads = downloads();
        long size = 48 * MIB;
        // Returns while the writer waits after its first MiB: a response stored first would never come.
        DataStream download = downloads.produceGated(size, 31);
        assertThat(download.length()).isEqualTo(size);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        int mostFiles = 0;
        try (InputStream in = download.openStream()) {
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            long nextCheck = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                total += n;
                if (total >= 64 * 1024) {
                    // Only the caller's first bytes let the writer go on past its first MiB: the stream is read
                    // while it is written (a response stored before the call returned would never have come).
                    service.gate.countDown();
                }
                if (total >= nextCheck) {
                    mostFiles = Math.max(mostFiles, countFiles(callerTemp));
                    nextCheck += 4 * MIB;
                }
            }
            assertThat(total).isEqualTo(size);
        }
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(TestBytes.sha256(size, 31));
        assertThat(mostFiles).as("temporary files in the caller's directory while it read").isZero();
        assertThat(service.writerOutcome.get()).as("the writer waited for the caller's first bytes")
                .isEqualTo("went on after " + MIB + " bytes");

        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("the subscriber connection served the next call").hasValue(1);
    }

    @Test
    void theSubscriberConnectionServesTheNextCallAfterAStreamIsReadDiscardedOrClosedEarly() throws IOException {
        Downloads downloads = downloads();
        try (InputStream in = downloads.produce(6 * MIB, 1).openStream()) {
            assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(6 * MIB, 1));
        }
        assertThat(downloads.echo("after read")).isEqualTo("after read");

        downloads.produce(6 * MIB, 2).discard();
        assertThat(downloads.echo("after discard")).isEqualTo("after discard");

        try (InputStream in = downloads.produce(6 * MIB, 3).openStream()) {
            assertThat(in.readNBytes(1000)).hasSize(1000);
        }
        assertThat(downloads.echo("after closing early")).isEqualTo("after closing early");

        // Read to exactly its length, never closed and never read to EOF: the last byte frees the connection.
        InputStream open = downloads.produce(3 * MIB, 4).openStream();
        assertThat(open.readNBytes((int) (3 * MIB))).hasSize((int) (3 * MIB));
        assertThat(downloads.echo("after its length")).isEqualTo("after its length");

        assertThat(subscriberConnections).as("one subscriber connection served every call").hasValue(1);
        assertThat(countFiles(callerTemp)).isZero();
    }

    @Test
    void aConnectionHeldByAnUnreadStreamCarriesNoOtherRequestAndNoKeepAliveUntilTheStreamIsRead() throws IOException {
        Downloads downloads = downloads();
        DataStream download = downloads.produce(6 * MIB, 12);
        // The one subscriber connection is the stream's: another request waits in the queue, and is not collected
        // within 6 keep-alive intervals, none of which may send NEXT on the connection.
        Downloads hurried = caller.createClient(Downloads.class, endpoint.withLimits(
                HalibutLimits.defaults().withPollingCollectionTimeout(KEEP_ALIVE.multipliedBy(6))));
        assertThatThrownBy(() -> hurried.echo("meanwhile")).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("not collected");
        try (InputStream in = download.openStream()) {
            assertThat(TestBytes.sha256(in)).as("the stream, whole, with no NEXT or PROCEED in it")
                    .isEqualTo(TestBytes.sha256(6 * MIB, 12));
        }
        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("the subscriber connection served the next call").hasValue(1);
    }

    @Test
    void eachReadOfAPolledStreamWaitsAtMostTheCallersResponseTimeoutAsInListeningMode() throws Exception {
        downloads();
        Duration responseTimeout = Duration.ofSeconds(2); // the listener's own is the default, 10 minutes
        Downloads patient = caller.createClient(Downloads.class,
                endpoint.withLimits(HalibutLimits.defaults().withResponseTimeout(responseTimeout)));
        DataStream download = patient.produceGated(16 * MIB, 14);
        // The writer stops after its first MiB, and the gate stays shut: the read after that MiB waits in vain.
        CompletableFuture<Throwable> read = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = download.openStream()) {
                in.transferTo(OutputStream.nullOutputStream());
                return null;
            } catch (IOException e) {
                return e;
            }
        }, OwnThread.EACH);
        assertThat(read.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(java.net.SocketTimeoutException.class)
                .hasMessageContaining("tream " + download.id())
                .hasMessageContaining("the polling service host of " + SUBSCRIPTION)
                .hasMessageContaining("within " + responseTimeout);
    }

    @Test
    void aRequestWithStreamsTakesTheWorkersWayAndItsResponseStreamStillComesStraight() throws IOException {
        Downloads downloads = downloads();
        // A request with a stream never takes the direct way (serveDirectly): a listener worker sends it.
        DataStream download = downloads.produceAfterReading(
                DataStream.fromWriter(2 * MIB, out -> TestBytes.write(out, 2 * MIB, 10)), 6 * MIB, 11);
        assertThat(countFiles(callerTemp)).as("nothing stored before the caller reads").isZero();
        try (InputStream in = download.openStream()) {
            assertThat(TestBytes.sha256(in)).isEqualTo(TestBytes.sha256(6 * MIB, 11));
        }
        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("the subscriber connection served the next call").hasValue(1);
        assertThat(countFiles(callerTemp)).isZero();
    }

    @Test
    void aResponseWhoseCallerTimedOutIsSkippedAndTheConnectionServesTheNextCall() throws Exception {
        Downloads downloads = downloads();
        assertThat(downloads.echo("connected")).isEqualTo("connected");
        Downloads impatient = caller.createClient(Downloads.class,
                endpoint.withLimits(HalibutLimits.defaults().withResponseTimeout(Duration.ofMillis(300))));
        assertThatThrownBy(() -> impatient.produceLate(8 * MIB, 5)).isInstanceOf(HalibutClientException.class)
                .hasMessageContaining("responseTimeout");
        // The response comes after the caller gave up: the listener skips its stream, nothing is stored.
        service.gate.countDown();
        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("the same subscriber connection served the next call").hasValue(1);
        assertThat(countFiles(callerTemp)).isZero();
    }

    @Test
    void aResponseWhoseCallerWasInterruptedIsSkippedAndTheConnectionServesTheNextCall() throws Exception {
        Downloads downloads = downloads();
        assertThat(downloads.echo("connected")).isEqualTo("connected");
        CompletableFuture<DataStream> call = new CompletableFuture<>();
        Thread waiting = new Thread(() -> {
            try {
                call.complete(downloads.produceLate(8 * MIB, 6));
            } catch (RuntimeException e) {
                call.completeExceptionally(e);
            }
        }, "test-interrupted-caller");
        waiting.start();
        assertThat(service.called.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the service to be called").isTrue();
        waiting.interrupt();
        assertThatThrownBy(() -> call.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .hasCauseInstanceOf(HalibutClientException.class).hasMessageContaining("interrupted");
        service.gate.countDown();
        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("the same subscriber connection served the next call").hasValue(1);
        waiting.join(WAIT.toMillis());
    }

    /**
     * Collects garbage until the caller's inbound subscriber connection is closed (or the service host has connected
     * again): what the streams' Cleaner does for something dropped unread. A GC has no event to wait on, so this looks
     * again every 10 ms, bounded by {@link #WAIT}.
     */
    private void awaitDroppedConnectionClosed(String what) {
        Await.untilCollected(what, WAIT, () -> caller.status().inbound().stream().mapToInt(i -> i.open()).sum() == 0
                || subscriberConnections.get() >= 2);
    }

    @Test
    void aStreamDroppedUnreadClosesItsSubscriberConnectionAndTheServiceHostConnectsAgain() {
        Downloads downloads = downloads();
        produceAndDrop(downloads);
        awaitDroppedConnectionClosed("the dropped stream's connection to be closed");
        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("served on a new subscriber connection").hasValue(2);
    }

    @Test
    void anInputStreamDroppedBeforeItsEndClosesItsSubscriberConnectionAndTheServiceHostConnectsAgain() throws IOException {
        Downloads downloads = downloads();
        readSomeAndDrop(downloads);
        awaitDroppedConnectionClosed("the dropped reader's connection to be closed");
        assertThat(downloads.echo("next")).isEqualTo("next");
        assertThat(subscriberConnections).as("served on a new subscriber connection").hasValue(2);
    }

    @Test
    void aConnectionCutWhileTheCallerReadsFailsTheReadNamingTheStreamAndTheSubscription() throws Exception {
        Downloads downloads = downloads();
        DataStream download = downloads.produceGated(16 * MIB, 7);
        InputStream in = download.openStream();
        assertThat(in.readNBytes(64 * 1024)).hasSize(64 * 1024);
        tentacle.close(); // the service host goes away while its writer waits after the first MiB
        assertThatThrownBy(() -> in.transferTo(OutputStream.nullOutputStream())).isInstanceOf(IOException.class)
                .hasMessageContaining("tream " + download.id())
                .hasMessageContaining("the polling service host of " + SUBSCRIPTION);
        in.close();
        assertThat(countFiles(callerTemp)).isZero();
    }

    @Test
    void closingTheCallersRuntimeFailsAReadOfAPolledStreamAndLeavesNothingBehind() throws Exception {
        Downloads downloads = downloads();
        DataStream download = downloads.produce(8 * MIB, 8);
        caller.close();
        assertThatThrownBy(download::readAllBytes).isInstanceOf(IOException.class)
                .hasMessageContaining("tream " + download.id());
        // stop() checks that no thread of either runtime and no temporary file is left.
    }

    @Test
    void closingTheCallersRuntimeWhileItReadsAPolledStreamFailsTheReadAndLeavesNothingBehind() throws Exception {
        Downloads downloads = downloads();
        DataStream download = downloads.produceGated(16 * MIB, 13);
        InputStream in = download.openStream();
        assertThat(in.readNBytes(64 * 1024)).hasSize(64 * 1024);
        caller.close(); // its listener closes the subscriber connection the stream is arriving on
        assertThatThrownBy(() -> in.transferTo(OutputStream.nullOutputStream())).isInstanceOf(IOException.class)
                .hasMessageContaining("tream " + download.id());
        in.close();
        // stop() opens the gate (the service host's writer then fails on the closed connection) and checks that no
        // thread of either runtime and no temporary file is left.
    }

    /** Opens a result stream, reads some of it, and lets go of both without closing anything. */
    private static void readSomeAndDrop(Downloads downloads) throws IOException {
        InputStream in = downloads.produce(6 * MIB, 15).openStream();
        assertThat(in.readNBytes(1000)).hasSize(1000);
    }

    private static void produceAndDrop(Downloads downloads) {
        assertThat(downloads.produce(6 * MIB, 9).length()).isEqualTo(6 * MIB);
    }

    private static int countFiles(Path dir) {
        try (Stream<Path> files = java.nio.file.Files.list(dir)) {
            return (int) files.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Passes everything on, and waits for {@code gate} once {@code after} bytes went through. */
    private static final class GateAfter extends FilterOutputStream {
        private final long after;
        private final CountDownLatch gate;
        private final AtomicReference<String> outcome;
        private long written;

        GateAfter(OutputStream out, long after, CountDownLatch gate, AtomicReference<String> outcome) {
            super(out);
            this.after = after;
            this.gate = gate;
            this.outcome = outcome;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (written == after) {
                outcome.set("waiting after " + written + " bytes");
                try {
                    if (!gate.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                        throw new IOException("the caller did not read the stream while it was being written");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the caller");
                }
                outcome.set("went on after " + written + " bytes");
            }
            out.write(b, off, len);
            written += len;
        }
    }
}
