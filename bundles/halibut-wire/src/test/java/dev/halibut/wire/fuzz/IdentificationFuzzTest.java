package dev.halibut.wire.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the identification exchange (docs/protocol.md, section 2) as either side reads it: the
 * listener reading a connecting side's block, and a connecting side reading the listener's answer
 * (including {@code HALIBUT-ERROR}). Contract: {@link Identification#readFrom} returns or throws a
 * {@link ProtocolException} (its subclasses name rejections, unknown roles and other versions); it reads
 * no further than the block's end and never more than 16 lines of 1,024 bytes, whatever arrives.
 */
class IdentificationFuzzTest {

    /** The most a block can take from the connection: 16 lines of at most 1,024 bytes, CRLF included. */
    static final int MAX_BLOCK = Identification.MAX_LINES * Identification.MAX_LINE_LENGTH;

    private record Read(Identification id, ProtocolException rejection, int consumed) {
    }

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readIdentification(byte[] input) throws IOException {
        Read r = Decoding.bounded("reading an identification block", 4L * MAX_BLOCK + Decoding.OVERHEAD, () -> {
            PeerInput in = new PeerInput(input);
            Decoding.Outcome<Identification> o = Decoding.attempt(() -> Identification.readFrom(in),
                    ProtocolException.class);
            return new Read(o.value(), (ProtocolException) o.rejection(), in.consumed());
        }).value();

        assertThat(r.consumed()).as("bytes taken from the connection").isLessThanOrEqualTo(MAX_BLOCK);
        if (r.id() == null) {
            assertThat(r.rejection().getMessage()).isNotBlank();
            return;
        }
        Identification id = r.id();
        byte[] block = Arrays.copyOf(input, r.consumed());
        String text = new String(block, StandardCharsets.ISO_8859_1);
        assertThat(text).as("an accepted block ends with its empty line").endsWith("\r\n\r\n");
        assertThat(text.indexOf("\r\n\r\n")).as("and is read no further than that").isEqualTo(text.length() - 4);
        assertThat(text.split("\r\n", -1)).as("lines (the last split is empty)").hasSizeLessThanOrEqualTo(
                Identification.MAX_LINES + 1);
        for (byte b : block) {
            assertThat(b == '\r' || b == '\n' || (b >= 0x20 && b <= 0x7E)).as("byte 0x%02X is printable ASCII", b).isTrue();
        }
        assertThat(text.indexOf("\r\n") + 2).as("first line length").isLessThanOrEqualTo(Identification.MAX_LINE_LENGTH);
        assertThat(id.version()).isEqualTo(Identification.PROTOCOL_VERSION);
        if (id.role() == Identification.Role.SUBSCRIBER) {
            assertThat(id.subscription().getScheme()).isEqualToIgnoringCase("poll");
            assertThat(id.subscription().getAuthority()).isNotNull();
        } else {
            assertThat(id.subscription()).isNull();
        }

        // What was accepted is written back in its canonical form and read as the same identification. Header
        // lines are written as "Name: value", so a kept header line may grow by the one space after its colon
        // ("Name:value" was accepted); the first line never grows.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        id.writeTo(out);
        String written = out.toString(StandardCharsets.US_ASCII);
        assertThat(written.indexOf("\r\n") + 2).as("canonical first line length")
                .isLessThanOrEqualTo(Identification.MAX_LINE_LENGTH);
        assertThat(out.size()).as("canonical block size").isLessThanOrEqualTo(r.consumed() + Identification.MAX_LINES);
        assertThat(Identification.readFrom(new ByteArrayInputStream(out.toByteArray()),
                Identification.MAX_LINE_LENGTH + 1)).isEqualTo(id);
    }
}
