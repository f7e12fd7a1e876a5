package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.halibut.wire.Identification;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the event loop's collection of an identification block ({@link IdentificationBlock}, docs/protocol.md
 * section 2) against the wire module's blocking {@link Identification#readFrom(java.io.InputStream, int)}, which has
 * its own fuzz test. Input: byte 0 sets the chunk size the bytes arrive in (bits 0-6, plus 1) and the line limit
 * (bit 7: 64 bytes, else the default 1,024), the rest is what the peer sends. Contract: the block returns the same
 * identification as the reader and leaves exactly the bytes after the block in the buffer; it fails where the reader
 * fails, with the same exception type and message; it takes no more than 16 lines of the limit from the
 * connection; it neither retains nor releases the buffers it is given. The one difference: the block looks at what it
 * collected only once it is complete (its empty line, or 16 lines) or over its bound (a line or the whole too long),
 * so while the peer's bytes end before that, it waits for more wherever the reader found its error (a bad line, or
 * the end of the input); the handshake's deadline ends that wait.
 */
class IdentificationBlockFuzzTest {

    @FuzzTest
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void feedBlock(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int chunk = 1 + (input[0] & 0x7F);
        int maxLine = (input[0] & 0x80) != 0 ? 64 : Identification.MAX_LINE_LENGTH;
        byte[] peer = Arrays.copyOfRange(input, 1, input.length);

        ByteArrayInputStream reference = new ByteArrayInputStream(peer);
        Identification expected = null;
        IOException expectedError = null;
        try {
            expected = Identification.readFrom(reference, maxLine);
        } catch (IOException e) {
            assertThat(e).as("the reference reader's errors").isInstanceOf(ProtocolException.class);
            expectedError = e;
        }
        int expectedConsumed = peer.length - reference.available();

        IdentificationBlock block = new IdentificationBlock(maxLine);
        int fed = 0;
        for (int at = 0; at < peer.length; at += chunk) {
            ByteBuf in = Unpooled.wrappedBuffer(peer, at, Math.min(chunk, peer.length - at));
            Identification got;
            try {
                got = block.feed(in);
            } catch (IOException e) {
                assertThat(expectedError).as("the reader's error where the block failed with %s", e).isNotNull();
                assertThat(e).isExactlyInstanceOf(expectedError.getClass()).hasMessage(expectedError.getMessage());
                assertThat(in.refCnt()).isEqualTo(1);
                return;
            }
            fed += in.readerIndex();
            assertThat(in.refCnt()).as("the caller's buffer, neither retained nor released").isEqualTo(1);
            assertThat(fed).as("bytes taken from the connection")
                    .isLessThanOrEqualTo(maxLine * Identification.MAX_LINES);
            if (got != null) {
                assertThat(expectedError).as("the reader's error where the block returned %s", got).isNull();
                assertThat(got).isEqualTo(expected);
                assertThat(fed).as("bytes of the block").isEqualTo(expectedConsumed);
                return;
            }
            assertThat(in.isReadable()).as("bytes left while the block is incomplete").isFalse();
        }
        // The peer's bytes ended before the block was complete: the block waits for more; the reader failed.
        assertThat(expectedError).as("the reader's result for an incomplete block").isNotNull();
    }
}
