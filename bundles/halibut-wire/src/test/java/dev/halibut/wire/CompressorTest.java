package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CompressorTest {

    @Test
    void roundTripsEmptySmallRandomAndCompressibleData() throws ProtocolException {
        byte[] random = new byte[1 << 20];
        new Random(7).nextBytes(random);
        byte[] text = "halibut ".repeat(100_000).getBytes();
        try (Compressor c = new Compressor()) {
            for (byte[] data : new byte[][] {new byte[0], {1, 2, 3}, random, text}) {
                byte[] packed = c.compress(data);
                assertThat(c.decompress(packed, data.length + 1)).isEqualTo(data);
            }
            assertThat(c.compress(text).length).isLessThan(text.length / 100);
        }
    }

    @Test
    void inflatingStopsAtTheBound() throws ProtocolException {
        byte[] zeros = new byte[1 << 20];
        try (Compressor c = new Compressor()) {
            byte[] packed = c.compress(zeros);
            assertThat(c.decompress(packed, zeros.length)).hasSize(zeros.length);
            assertThatThrownBy(() -> c.decompress(packed, zeros.length - 1)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("maximum message size");
        }
    }

    @Test
    void zipBombIsRefused() {
        try (Compressor c = new Compressor()) {
            byte[] bomb = c.compress(new byte[64 << 20]);
            assertThat(bomb.length).isLessThan(1 << 20);
            assertThatThrownBy(() -> c.decompress(bomb, 1 << 20)).isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void garbageTruncatedAndTrailingDataAreProtocolErrors() {
        try (Compressor c = new Compressor()) {
            byte[] packed = c.compress("some message".getBytes());
            assertThatThrownBy(() -> c.decompress("not zlib".getBytes(), 1024)).isInstanceOf(ProtocolException.class);
            assertThatThrownBy(() -> c.decompress(Arrays.copyOf(packed, packed.length - 3), 1024))
                    .isInstanceOf(ProtocolException.class);
            byte[] trailing = Arrays.copyOf(packed, packed.length + 2);
            assertThatThrownBy(() -> c.decompress(trailing, 1024)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("after its end");
        }
    }
}
