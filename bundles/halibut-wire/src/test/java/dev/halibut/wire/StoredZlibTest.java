package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.Adler32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/** Small messages as zlib stored blocks: any zlib reader reads them, and reading them in Java changes no outcome. */
class StoredZlibTest {

    private final Random random = new Random(11);

    @Test
    void smallMessagesAreStoredBlocksThatZlibItselfInflates() throws Exception {
        try (Compressor c = new Compressor()) {
            for (int size : new int[] {0, 1, 2, 100, Compressor.MAX_STORED}) {
                byte[] data = bytes(size);
                byte[] packed = c.compress(data);
                assertThat(packed).hasSize(2 + 5 + size + 4); // stored: header, one block, check value
                assertThat(inflateWithZlib(packed)).isEqualTo(data);
                assertThat(c.decompress(packed, size)).isEqualTo(data);
            }
            byte[] larger = "compressible ".repeat(100).getBytes();
            assertThat(c.compress(larger).length).as("deflated").isLessThan(larger.length / 4);
        }
    }

    @Test
    void storedStreamsOfManyBlocksRoundTripThroughZlib() throws Exception {
        byte[] data = bytes(200_000); // four blocks
        Compressor.Packed p = StoredZlib.wrap(data, 3);
        byte[] zlib = Arrays.copyOfRange(p.buffer(), 3, p.end());
        assertThat(inflateWithZlib(zlib)).isEqualTo(data);
        assertThat(StoredZlib.unwrap(zlib, data.length)).isEqualTo(data);
        assertThat(StoredZlib.unwrap(zlib, data.length - 1)).as("over the bound: the inflater's to refuse").isNull();
    }

    @Test
    void storedStreamsZlibWritesAreReadAsZlibReadsThem() throws Exception {
        for (int size : new int[] {0, 7, 5552, 5553, 70_000}) {
            byte[] data = bytes(size);
            Deflater d = new Deflater(Deflater.NO_COMPRESSION);
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            d.end();
            byte[] zlib = out.toByteArray();
            byte[] read = StoredZlib.unwrap(zlib, size);
            if (read != null) {
                assertThat(read).isEqualTo(data);
            }
            try (Compressor c = new Compressor()) {
                assertThat(c.decompress(zlib, size)).isEqualTo(data);
            }
        }
    }

    @Test
    void theCheckValueIsZlibsAdler32() {
        for (int size : new int[] {0, 1, 5551, 5552, 5553, 100_000}) {
            byte[] data = new byte[size];
            Arrays.fill(data, (byte) 0xFF); // the largest sums
            Adler32 reference = new Adler32();
            reference.update(data);
            assertThat(StoredZlib.adler32(data, 0, size)).isEqualTo((int) reference.getValue());
            data = bytes(size);
            reference.reset();
            reference.update(data);
            assertThat(StoredZlib.adler32(data, 0, size)).isEqualTo((int) reference.getValue());
        }
    }

    @Test
    void damagedStoredStreamsAreLeftToTheInflaterAndRefusedAsBefore() throws Exception {
        byte[] data = "a small message".getBytes();
        byte[] good;
        try (Compressor c = new Compressor()) {
            good = c.compress(data);
        }
        byte[] badLength = good.clone();
        badLength[5] ^= 1; // NLEN no longer the complement of LEN
        byte[] badCheck = good.clone();
        badCheck[good.length - 1] ^= 1;
        byte[] trailing = Arrays.copyOf(good, good.length + 2);
        byte[] truncated = Arrays.copyOf(good, good.length - 3);
        byte[] notFinal = good.clone();
        notFinal[2] = 0; // no final block: the stream never ends
        for (byte[] damaged : new byte[][] {badLength, badCheck, trailing, truncated, notFinal}) {
            assertThat(StoredZlib.unwrap(damaged, 1024)).isNull();
            try (Compressor c = new Compressor()) {
                assertThatThrownBy(() -> c.decompress(damaged, 1024)).isInstanceOf(ProtocolException.class);
            }
        }
    }

    private byte[] bytes(int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    private static byte[] inflateWithZlib(byte[] zlib) throws DataFormatException {
        Inflater inflater = new Inflater();
        inflater.setInput(zlib);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!inflater.finished()) {
            int n = inflater.inflate(buf);
            if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                throw new DataFormatException("truncated");
            }
            out.write(buf, 0, n);
        }
        assertThat(inflater.getRemaining()).isZero();
        inflater.end();
        return out.toByteArray();
    }
}
