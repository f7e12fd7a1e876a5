package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class FramingTest {

    private static FrameReader reader(byte[] bytes, int max) {
        return new FrameReader(new ByteArrayInputStream(bytes), max);
    }

    @Test
    void everyFrameTypeRoundTrips() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out);
        w.write(FrameType.REQUEST, new byte[] {1, 2, 3});
        w.write(FrameType.RESPONSE, new byte[] {4});
        w.write(FrameType.NEXT);
        w.write(FrameType.PROCEED);
        w.write(FrameType.END);
        FrameReader r = reader(out.toByteArray(), 1024);
        assertThat(r.read()).satisfies(f -> {
            assertThat(f.type()).isEqualTo(FrameType.REQUEST);
            assertThat(f.payload()).containsExactly(1, 2, 3);
        });
        assertThat(r.read().payload()).containsExactly(4);
        assertThat(r.read().type()).isEqualTo(FrameType.NEXT);
        assertThat(r.read().type()).isEqualTo(FrameType.PROCEED);
        assertThat(r.read().type()).isEqualTo(FrameType.END);
        assertThatThrownBy(r::read).isExactlyInstanceOf(EOFException.class);
    }

    @Test
    void payloadAtTheLimitIsAcceptedAndOneMoreIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(FrameType.REQUEST, new byte[1024]);
        assertThat(reader(out.toByteArray(), 1024).read().payload()).hasSize(1024);
        assertThatThrownBy(() -> reader(out.toByteArray(), 1023).read()).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("exceeds the maximum message size");
    }

    @Test
    void hugeLengthIsRefusedBeforeAnythingIsAllocatedOrRead() {
        // 2 GiB declared, nothing follows: the error must be about size, not about missing bytes.
        byte[] header = {0x01, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        assertThatThrownBy(() -> reader(header, 1 << 20).read()).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("4294967295 bytes exceeds");
    }

    @Test
    void unknownTypeIsAProtocolError() {
        assertThatThrownBy(() -> reader(new byte[] {0x7E, 0, 0, 0, 0}, 1024).read())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("0x7E");
    }

    @Test
    void controlFrameWithPayloadIsAProtocolError() {
        assertThatThrownBy(() -> reader(new byte[] {0x10, 0, 0, 0, 1, 9}, 1024).read())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("NEXT frame must be empty");
    }

    @Test
    void emptyStreamDataIsAProtocolError() {
        assertThatThrownBy(() -> reader(new byte[] {0x20, 0, 0, 0, 0}, 1024).read())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("STREAM_DATA frame is empty");
    }

    @Test
    void connectionEndingInsideAFrameIsAProtocolError() {
        assertThatThrownBy(() -> reader(new byte[] {0x01, 0, 0}, 1024).read())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("length field");
        assertThatThrownBy(() -> reader(new byte[] {0x01, 0, 0, 0, 5, 1, 2}, 1024).read())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("2 of 5 bytes");
    }

    @Test
    void writerRefusesPayloadOnControlFrames() {
        assertThatThrownBy(() -> new FrameWriter(new ByteArrayOutputStream()).write(FrameType.END, new byte[] {1}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
