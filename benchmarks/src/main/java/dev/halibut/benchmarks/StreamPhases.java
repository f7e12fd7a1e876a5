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
 * {@code java -Xmx64m -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.StreamPhases [rounds] [jdk|openssl|raw]
 * [listening|polling]} ({@code raw}: the raw TLS floor's copy of the same bytes, for CPU per GiB side by side;
 * {@code polling}: the service host polls the caller's listener, one connection, the in-memory queue).
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
                : HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults(), timed, tlsProvider)) {
            Sink sink = nodes.client(Sink.class);
            for (int i = 0; i < rounds; i++) {
                long c0 = processCpuNanos();
                long t0 = System.nanoTime();
                DataStream d = sink.produce(size);
                long t1 = System.nanoTime();
                try (InputStream in = d.openStream()) {
                    Blocks.drain(in);
                }
                long t2 = System.nanoTime();
                long c2 = processCpuNanos();
                sink.consume(DataStream.fromWriter(size, out -> Blocks.write(out, size)));
                long t3 = System.nanoTime();
                long c3 = processCpuNanos();
                System.out.printf("download: call returned %d ms, read straight through %d ms (%d MB/s, %d MB/s in all),"
                                + " CPU %d ms | upload: service called %d ms, reads straight through %d ms (%d MB/s, %d MB/s"
                                + " in all), CPU %d ms%n",
                        ms(t1 - t0), ms(t2 - t1), mbps(size, t2 - t1), mbps(size, t2 - t0), ms(c2 - c0),
                        ms(readStarted[0] - t2), ms(t3 - readStarted[0]), mbps(size, t3 - readStarted[0]),
                        mbps(size, t3 - t2), ms(c3 - c2));
            }
        }
    }

    /** The floor in the same form: the same bytes each way over a raw TLS socket ({@link RawTlsPair}). */
    private static void rawTls(int rounds, long size) throws Exception {
        try (RawTlsPair raw = new RawTlsPair(Identities.HOST, Identities.CALLER)) {
            for (int i = 0; i < rounds; i++) {
                long c0 = processCpuNanos();
                long t0 = System.nanoTime();
                raw.download(size);
                long t1 = System.nanoTime();
                long c1 = processCpuNanos();
                raw.upload(size);
                long t2 = System.nanoTime();
                long c2 = processCpuNanos();
                System.out.printf("raw TLS download: %d ms (%d MB/s), CPU %d ms | upload: %d ms (%d MB/s), CPU %d ms%n",
                        ms(t1 - t0), mbps(size, t1 - t0), ms(c1 - c0), ms(t2 - t1), mbps(size, t2 - t1), ms(c2 - c1));
            }
        }
    }

    /** CPU time of the whole process (both ends, GC and compiler included): steadier than wall time under load. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
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
