package dev.halibut.wire.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameReader;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.FrameWriter;
import dev.halibut.wire.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the frame decoder with what a peer may send after identification (docs/protocol.md,
 * section 3). Contract: frames are read until the input ends between two frames ({@link EOFException})
 * or the input breaks the protocol ({@link ProtocolException}); nothing else is thrown. Every frame read
 * respects its type's bound and re-encodes to exactly the bytes it was read from. Reading allocates no
 * more than a small multiple of the input (payloads, headers, frame objects) plus one payload of the
 * largest size its type allows (allocated before the bytes arrive, which the protocol permits), however
 * large a length a header declares.
 */
class FrameReaderFuzzTest {

    /** The receiver's maximum message size here: small, so an unchecked length shows as allocation. */
    static final int MAX_MESSAGE_SIZE = 1 << 20;

    private record Decoded(List<Frame> frames, IOException end, int consumed) {
    }

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readFrames(byte[] input) throws IOException {
        // Per frame read: its payload, a header buffer and a few small objects (~80 bytes for an empty frame).
        Decoded d = Decoding.bounded("reading frames", 32L * input.length + MAX_MESSAGE_SIZE + Decoding.OVERHEAD,
                () -> readAll(input)).value();

        ByteArrayOutputStream reencoded = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(reencoded);
        for (Frame f : d.frames()) {
            assertThat((long) f.payload().length).as("%s payload", f.type()).isLessThanOrEqualTo(protocolBound(f.type()));
            if (f.type() == FrameType.STREAM_END) {
                assertThat(f.payload()).hasSize(24);
            }
            writer.write(f.type(), f.payload());
        }
        assertThat(reencoded.toByteArray()).as("frames re-encode to the bytes they were read from")
                .isEqualTo(Arrays.copyOf(input, d.consumed()));
        if (d.end() instanceof ProtocolException) {
            assertThat(d.consumed()).as("a protocol error needs bytes after the last whole frame")
                    .isLessThan(input.length);
        } else {
            assertThat(d.end()).isExactlyInstanceOf(EOFException.class);
            assertThat(d.consumed()).as("a clean end only between frames").isEqualTo(input.length);
        }
    }

    /** Reads frames until the reader throws one of its documented exceptions, which ends the connection. */
    private static Decoded readAll(byte[] input) {
        PeerInput in = new PeerInput(input);
        FrameReader reader = new FrameReader(in, MAX_MESSAGE_SIZE);
        List<Frame> frames = new ArrayList<>();
        int consumed = 0;
        while (true) {
            Decoding.Outcome<Frame> o = Decoding.attempt(reader::read, EOFException.class, ProtocolException.class);
            if (!o.accepted()) {
                return new Decoded(frames, (IOException) o.rejection(), consumed);
            }
            frames.add(o.value());
            consumed = in.consumed();
        }
    }

    /** Largest payload per type, from the protocol document rather than from FrameType. */
    private static long protocolBound(FrameType type) {
        return switch (type) {
            case REQUEST, RESPONSE -> MAX_MESSAGE_SIZE;
            case NEXT, PROCEED, END -> 0;
            case STREAM_DATA -> 65_536;
            case STREAM_END -> 24;
            case STREAM_ABORT -> 1_024;
        };
    }
}
