package dev.halibut.benchmarks;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ExecutionException;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Scenario 4: a 1 GiB DataStream each way (listening mode) against the same bytes over a raw mutual TLS 1.3
 * socket and over a gRPC client/server stream of 64 KiB messages, in one run; Halibut on the JDK's TLS provider and
 * on OpenSSL (the {@code OpenSsl} benchmarks). The fork's heap is 64 MiB: the
 * transfer must run in constant memory; {@link HeapSampler} prints the peak heap (and direct memory) per
 * benchmark. One operation moves {@code size} bytes; MB/s = size / time.
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

    private HalibutNodes nodes;
    private Sink sink;
    private RawTlsPair raw;
    private GrpcPeer grpc;
    private HeapSampler heap;
    private long cpuAtStart;
    private long operations;

    @Setup(Level.Trial)
    public void start(BenchmarkParams params) throws IOException {
        String benchmark = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (benchmark.startsWith("halibut")) {
            nodes = HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults(),
                    benchmark.endsWith("OpenSsl") ? "openssl" : "jdk");
            sink = nodes.client(Sink.class);
        } else if (benchmark.startsWith("rawTls")) {
            raw = new RawTlsPair(Identities.HOST, Identities.CALLER);
        } else {
            grpc = new GrpcPeer(Identities.HOST, Identities.CALLER);
        }
        heap = new HeapSampler(benchmark);
        cpuAtStart = processCpuNanos();
    }

    /** CPU time of the whole process (both ends, GC and compiler included): steadier than wall time under load. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        heap.close();
        double cpuMs = (processCpuNanos() - cpuAtStart) / 1e6;
        System.out.printf("[cpu] %.0f ms of CPU per operation (%d operations of %d bytes, warm-up included)%n",
                cpuMs / Math.max(1, operations), operations, size);
        if (raw != null) {
            raw.close();
        }
        if (grpc != null) {
            grpc.close();
        }
        if (nodes != null) {
            nodes.close();
        }
    }

    @Benchmark
    public long halibutUpload() {
        operations++;
        return sink.consume(DataStream.fromWriter(size, out -> Blocks.write(out, size)));
    }

    @Benchmark
    public long halibutDownload() throws IOException {
        operations++;
        try (InputStream in = sink.produce(size).openStream()) {
            return Blocks.drain(in);
        }
    }

    /** The same on OpenSSL (tlsProvider "openssl") at both ends. */
    @Benchmark
    public long halibutUploadOpenSsl() {
        return halibutUpload();
    }

    @Benchmark
    public long halibutDownloadOpenSsl() throws IOException {
        return halibutDownload();
    }

    @Benchmark
    public long rawTlsUpload() throws IOException {
        operations++;
        return raw.upload(size);
    }

    @Benchmark
    public long rawTlsDownload() throws IOException {
        operations++;
        return raw.download(size);
    }

    @Benchmark
    public long grpcUpload() throws InterruptedException, ExecutionException {
        operations++;
        return grpc.upload(size);
    }

    @Benchmark
    public long grpcDownload() {
        operations++;
        return grpc.download(size);
    }
}
