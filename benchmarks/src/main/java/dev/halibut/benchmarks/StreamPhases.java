package dev.halibut.benchmarks;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Where a 1 GiB DataStream's time goes, each way, now that a received stream is read as it arrives (issue 15, item
 * 2): the time until the reader has the stream in hand (the caller's call returns / the service is called), and the
 * time to read it straight through from the connection, and the CPU time of the whole process (both ends) for each
 * direction. Run in a small heap, as the stream benchmark is:
 * {@code java -Xmx64m -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.StreamPhases [rounds]
 * [jdk|openssl|raw] [listening|polling]} ({@code raw}: the raw TLS floor's copy of the same bytes, for CPU per GiB side by side;
 * {@code polling}: the service host polls the caller's listener, one connection, the in-memory queue). Each round
 * also gives the JIT's compile time, GC time and the process's voluntary context switches ("waits") of each
 * direction: the first rounds are compilation (docs/benchmarks.md, "Streams ... round 3"), and waits count the
 * thread hand-offs.
 */
public final class StreamPhases {

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        String tlsProvider = args.length > 1 ? args[1] : "jdk";
        boolean polling = args.length > 2 && args[2].equals("polling");
        long size = 1L << 30;
        if (tlsProvider.equals("raw")) {
            rawTls(rounds, size);
            return;
        }
        long[] readStarted = new long[1];
        Sink timed = new Sink() {
            @Override
            public long consume(DataStream data) {
                readStarted[0] = System.nanoTime(); // the request message has arrived; its stream is arriving
                try (InputStream in = data.openStream()) {
                    return Blocks.drain(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public DataStream produce(long n) {
                return DataStream.fromWriter(n, out -> Blocks.write(out, n));
            }
        };
        try (HalibutNodes nodes = polling
                ? HalibutNodes.polling(Identities.CALLER, Identities.HOST, 1, timed, tlsProvider)
                : HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults(), timed,
                        tlsProvider)) {
            Sink sink = nodes.client(Sink.class);
            for (int i = 0; i < rounds; i++) {
                Counters k0 = Counters.now();
                long t0 = System.nanoTime();
                DataStream d = sink.produce(size);
                long t1 = System.nanoTime();
                try (InputStream in = d.openStream()) {
                    Blocks.drain(in);
                }
                long t2 = System.nanoTime();
                Counters k2 = Counters.now();
                sink.consume(DataStream.fromWriter(size, out -> Blocks.write(out, size)));
                long t3 = System.nanoTime();
                Counters k3 = Counters.now();
                long read = readStarted[0];
                System.out.printf("download: call returned %d ms, read straight through %d ms (%d MB/s, %d MB/s in"
                                + " all), %s | upload: service called %d ms, reads straight through %d ms (%d MB/s, %d"
                                + " MB/s in all), %s%n",
                        ms(t1 - t0), ms(t2 - t1), mbps(size, t2 - t1), mbps(size, t2 - t0), k2.since(k0),
                        ms(read - t2), ms(t3 - read), mbps(size, t3 - read), mbps(size, t3 - t2), k3.since(k2));
            }
        }
    }

    /** The floor in the same form: the same bytes each way over a raw TLS socket ({@link RawTlsPair}). */
    private static void rawTls(int rounds, long size) throws Exception {
        try (RawTlsPair raw = new RawTlsPair(Identities.HOST, Identities.CALLER)) {
            for (int i = 0; i < rounds; i++) {
                Counters k0 = Counters.now();
                long t0 = System.nanoTime();
                raw.download(size);
                long t1 = System.nanoTime();
                Counters k1 = Counters.now();
                raw.upload(size);
                long t2 = System.nanoTime();
                Counters k2 = Counters.now();
                System.out.printf("raw TLS download: %d ms (%d MB/s), %s | upload: %d ms (%d MB/s), %s%n",
                        ms(t1 - t0), mbps(size, t1 - t0), k1.since(k0), ms(t2 - t1), mbps(size, t2 - t1), k2.since(k1));
            }
        }
    }

    /**
     * The process's counters at one moment, read in this order (as each round always read them): CPU time, JIT time,
     * GC time, voluntary context switches.
     */
    private record Counters(long cpuNanos, long jitMs, long gcMs, long waits) {

        static Counters now() {
            return new Counters(processCpuNanos(), jitMillis(), gcMillis(), contextSwitches());
        }

        /** What the process spent since {@code start}: {@code CPU 12 ms (JIT 3, GC 0, 45 waits)}. */
        String since(Counters start) {
            return String.format("CPU %d ms (JIT %d, GC %d, %d waits)", ms(cpuNanos - start.cpuNanos),
                    jitMs - start.jitMs, gcMs - start.gcMs, waits - start.waits);
        }
    }

    /** CPU time of the whole process (both ends, GC and compiler included): steadier than wall time under load. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Time the JIT compilers have spent so far (summed over compiler threads): a round whose CPU includes much of it is
     * not yet steady state.
     */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /**
     * Voluntary context switches of all the process's threads so far (Linux; -1 elsewhere): each is a thread that
     * waited and was woken, on a VM the costliest part of handing data between threads.
     */
    private static long contextSwitches() {
        java.nio.file.Path tasks = java.nio.file.Path.of("/proc/self/task");
        if (!java.nio.file.Files.isDirectory(tasks)) {
            return -1;
        }
        long total = 0;
        try (var threads = java.nio.file.Files.newDirectoryStream(tasks)) {
            for (java.nio.file.Path t : threads) {
                try {
                    for (String line : java.nio.file.Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended while listed
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return total;
    }

    /** Time of the garbage collections so far (all collectors; for G1 mostly the young pauses). */
    private static long gcMillis() {
        long total = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static long mbps(long bytes, long nanos) {
        return nanos <= 0 ? 0 : bytes * 1000 / nanos;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private StreamPhases() {
    }
}
