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

    @Test
    void compressingWithHeadroomLeavesThoseBytesFreeAndInflatesToTheSameData() throws ProtocolException {
        byte[] data = "a small message ".repeat(8).getBytes();
        try (Compressor c = new Compressor()) {
            Compressor.Packed p = c.compress(data, 5);
            assertThat(p.headroom()).isEqualTo(5);
            assertThat(Arrays.copyOf(p.buffer(), 5)).containsOnly(0);
            byte[] payload = Arrays.copyOfRange(p.buffer(), 5, p.end());
            assertThat(payload).hasSize(p.length()).isEqualTo(c.compress(data));
            assertThat(c.decompress(payload, data.length)).isEqualTo(data);
        }
    }

    @Test
    void aClosedCompressorRefusesWorkEvenIfItNeverStartedItsZlibState() {
        Compressor c = new Compressor();
        c.close();
        assertThatThrownBy(() -> c.compress(new byte[] {1})).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> c.decompress(new byte[] {1}, 16)).isInstanceOf(IllegalStateException.class);
    }
}
