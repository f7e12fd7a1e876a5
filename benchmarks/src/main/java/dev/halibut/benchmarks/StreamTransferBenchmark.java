package dev.halibut.benchmarks;

import dev.halibut.DataStream;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A 1 GiB DataStream each way (listening mode) against the same bytes over a raw mutual TLS 1.3
 * socket, in one run. The fork's heap is 64 MiB: the transfer must run in constant memory. One
 * operation moves {@code size} bytes; MB/s = size / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx64m"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class StreamTransferBenchmark {

    @Param("1073741824")
    long size;

    private HalibutRuntime caller;
    private HalibutRuntime host;
    private Sink sink;
    private RawTlsPair raw;

    @Setup(Level.Trial)
    public void start() throws IOException {
        CertificateAndKey callerId = Certificates.generateSelfSigned("bench-caller");
        CertificateAndKey hostId = Certificates.generateSelfSigned("bench-host");
        caller = HalibutRuntime.builder().certificate(callerId.certificate(), callerId.privateKey()).build();
        host = HalibutRuntime.builder().certificate(hostId.certificate(), hostId.privateKey())
                .service(Sink.class, new Blocks.SinkService()).trust(caller.thumbprint()).build();
        int port = host.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        sink = caller.createClient(Sink.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), host.thumbprint()));
        raw = new RawTlsPair(hostId, callerId);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        raw.close();
        caller.close();
        host.close();
    }

    @Benchmark
    public long halibutUpload() {
        return sink.consume(DataStream.fromWriter(size, out -> Blocks.write(out, size)));
    }

    @Benchmark
    public long halibutDownload() throws IOException {
        try (InputStream in = sink.produce(size).openStream()) {
            return Blocks.drain(in);
        }
    }

    @Benchmark
    public long rawTlsUpload() throws IOException {
        return raw.upload(size);
    }

    @Benchmark
    public long rawTlsDownload() throws IOException {
        return raw.download(size);
    }
}
