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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Scenario 4: a 1 GiB DataStream each way (listening mode) against the same bytes over a raw mutual TLS 1.3
 * socket and over a gRPC client/server stream of 64 KiB messages, in one run; Halibut on the JDK's TLS provider and
 * on OpenSSL (the {@code OpenSsl} benchmarks). The fork's heap is 64 MiB: the
 * transfer must run in constant memory; {@link HeapSampler} prints the peak heap (and direct memory) per
 * benchmark. One operation moves {@code size} bytes; MB/s = size / time.
 *
 * <p>Five warm-up transfers before three measured ones: Halibut's JVM is still compiling through its first two
 * or three GiB (JIT time per GiB about 3 s, 0.8 s, 0.1 s, then nothing), the raw copy's after one, so fewer warm-up
 * shots measure Halibut's JIT instead of its steady state (docs/benchmarks.md, "Streams ... round 3"). The
 * {@code [cpu]} line gives the process CPU per measured transfer and, apart, for the warm-up.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx64m"})
@Warmup(iterations = 5)
@Measurement(iterations = 3)
public class StreamTransferBenchmark {

    @Param("1073741824")
    long size;

    private HalibutNodes nodes;
    private Sink sink;
    private RawTlsPair raw;
    private GrpcPeer grpc;
    private HeapSampler heap;
    private long cpuAtStart;
    private long cpuAtMeasurement = -1;
    private long jitAtStart;
    private long jitAtMeasurement;
    private long operations;
    private long warmupOperations;

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
        jitAtStart = jitMillis();
    }

    /** CPU time of the whole process (both ends, GC and compiler included): steadier than wall time under load. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Marks where the warm-up ends, so that the CPU of the measured transfers can be told apart. */
    @Setup(Level.Iteration)
    public void iteration(IterationParams iteration) {
        if (iteration.getType() == IterationType.MEASUREMENT && cpuAtMeasurement < 0) {
            cpuAtMeasurement = processCpuNanos();
            jitAtMeasurement = jitMillis();
            warmupOperations = operations;
        }
    }

    /** Time the JIT compilers have spent so far (summed over compiler threads). */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        heap.close();
        long now = processCpuNanos();
        long jitNow = jitMillis();
        long measuredEnd = cpuAtMeasurement < 0 ? cpuAtStart : cpuAtMeasurement;
        long jitMeasuredEnd = cpuAtMeasurement < 0 ? jitAtStart : jitAtMeasurement;
        System.out.printf("[cpu] %.0f ms of CPU per measured operation (%d of %d bytes; JIT compiling %d ms in all of"
                        + " them); warm-up: %.0f ms per operation (%d; JIT %d ms)%n",
                (now - measuredEnd) / 1e6 / Math.max(1, operations - warmupOperations), operations - warmupOperations,
                size, jitNow - jitMeasuredEnd, (measuredEnd - cpuAtStart) / 1e6 / Math.max(1, warmupOperations),
                warmupOperations, jitMeasuredEnd - jitAtStart);
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
