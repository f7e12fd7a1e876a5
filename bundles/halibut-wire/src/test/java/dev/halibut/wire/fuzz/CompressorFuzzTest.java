package dev.halibut.wire.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the bounded inflate of message payloads (docs/protocol.md, section 4). Contract:
 * {@link Compressor#decompress} returns the zlib stream's content when it is complete, at most
 * {@code maxSize} bytes, and followed by nothing; otherwise it throws {@link ProtocolException}, as soon
 * as the bound is passed, so it never allocates more than a few times {@code maxSize}. A reference
 * inflate written independently here decides which inputs are which. The compressor is reused across
 * inputs as a connection reuses it, so a failure must leave it fit for the next message.
 */
class CompressorFuzzTest {

    /** The bound here: small, so that a zip bomb passes it quickly. */
    static final int MAX_SIZE = 64 * 1024;

    private static final Compressor CONNECTIONS_COMPRESSOR = new Compressor();
    private static final byte[] NEXT_MESSAGE = "the next message on the connection".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEXT_MESSAGE_COMPRESSED;

    static {
        try (Compressor c = new Compressor()) {
            NEXT_MESSAGE_COMPRESSED = c.compress(NEXT_MESSAGE);
        }
    }

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void inflate(byte[] input) throws ProtocolException {
        // The output grows by doubling up to the bound, then is trimmed: at most about 3 x maxSize.
        Decoding.Outcome<byte[]> o = Decoding.bounded("inflating", 3L * MAX_SIZE + Decoding.OVERHEAD,
                () -> CONNECTIONS_COMPRESSOR.decompress(input, MAX_SIZE), ProtocolException.class);
        byte[] expected = referenceInflate(input, MAX_SIZE);
        if (o.accepted()) {
            assertThat(o.value()).hasSizeLessThanOrEqualTo(MAX_SIZE);
            assertThat(expected).as("the reference inflate accepts it too").isNotNull();
            assertThat(o.value()).isEqualTo(expected);
        } else {
            assertThat(expected).as("the reference inflate also refuses it (%s)", o.rejection().getMessage()).isNull();
        }
        assertThat(CONNECTIONS_COMPRESSOR.decompress(NEXT_MESSAGE_COMPRESSED, MAX_SIZE))
                .as("the compressor still works for the connection's next message").isEqualTo(NEXT_MESSAGE);
    }

    /**
     * The content of a complete zlib stream of at most {@code max} bytes with nothing after it, or
     * {@code null}. Reads in small fixed steps, unlike the implementation under test.
     */
    static byte[] referenceInflate(byte[] input, int max) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(input);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] step = new byte[997];
            while (!inflater.finished()) {
                int n = inflater.inflate(step);
                if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    return null; // truncated, or needs a preset dictionary the protocol never provides
                }
                out.write(step, 0, n);
                if (out.size() > max) {
                    return null;
                }
            }
            return inflater.getRemaining() == 0 ? out.toByteArray() : null;
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }
}
