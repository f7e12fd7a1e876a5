package dev.halibut.benchmarks;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Where a 1 GiB DataStream's time goes: receiving it into the receiver's store (a temporary file, as it
 * arrives) and reading it back from there, timed separately, each way. Run in a small heap, as the stream
 * benchmark is: {@code java -Xmx64m -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.StreamPhases [rounds] [jdk|openssl]}.
 */
public final class StreamPhases {

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        String tlsProvider = args.length > 1 ? args[1] : "jdk";
        long size = 1L << 30;
        long[] readStarted = new long[1];
        Sink timed = new Sink() {
            @Override
            public long consume(DataStream data) {
                readStarted[0] = System.nanoTime(); // the whole request, streams included, has arrived
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
        try (HalibutNodes nodes = HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults(), timed, tlsProvider)) {
            Sink sink = nodes.client(Sink.class);
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                DataStream d = sink.produce(size);
                long t1 = System.nanoTime();
                try (InputStream in = d.openStream()) {
                    Blocks.drain(in);
                }
                long t2 = System.nanoTime();
                sink.consume(DataStream.fromWriter(size, out -> Blocks.write(out, size)));
                long t3 = System.nanoTime();
                System.out.printf("download: receive into the store %d ms, read back %d ms | upload: receive into the"
                                + " store %d ms, the service reads back %d ms%n", ms(t1 - t0), ms(t2 - t1),
                        ms(readStarted[0] - t2), ms(t3 - readStarted[0]));
            }
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private StreamPhases() {
    }
}
