package dev.halibut.benchmarks;

import dev.halibut.DataStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;

/** Content for stream benchmarks: one random 64 KiB block repeated, so producing it costs nothing. */
final class Blocks {

    static final byte[] BLOCK = new byte[64 * 1024];

    static {
        new SplittableRandom(1).nextBytes(BLOCK);
    }

    private Blocks() {
    }

    static void write(OutputStream out, long size) throws IOException {
        long left = size;
        while (left > 0) {
            int n = (int) Math.min(BLOCK.length, left);
            out.write(BLOCK, 0, n);
            left -= n;
        }
    }

    static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
        }
        return total;
    }

    /** The service side of {@link Sink}. */
    static final class SinkService implements Sink {
        @Override
        public long consume(DataStream data) {
            try (InputStream in = data.openStream()) {
                return drain(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public DataStream produce(long size) {
            return DataStream.fromWriter(size, out -> write(out, size));
        }
    }
}
