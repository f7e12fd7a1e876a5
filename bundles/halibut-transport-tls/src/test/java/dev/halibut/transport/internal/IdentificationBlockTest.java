package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.wire.Identification;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IdentificationBlockTest {

    @Test
    void aBlockLargerThanTheFirstBufferIsReadWholeWhenItArrivesByteByByte() throws IOException {
        String longValue = "v".repeat(900); // the block is several times IdentificationBlock.INITIAL_BYTES
        Identification sent = Identification.server().withHeader("X-First", longValue).withHeader("X-Second", longValue);
        byte[] bytes = bytesOf(sent);
        assertThat(bytes.length).isGreaterThan(4 * IdentificationBlock.INITIAL_BYTES);
        IdentificationBlock block = new IdentificationBlock(Identification.MAX_LINE_LENGTH);
        Identification got = null;
        for (int i = 0; i < bytes.length; i++) {
            ByteBuf one = Unpooled.wrappedBuffer(bytes, i, 1);
            Identification r = block.feed(one);
            if (i < bytes.length - 1) {
                assertThat(r).as("complete only at its last byte, not at byte %d", i).isNull();
            }
            got = r;
        }
        assertThat(got).isNotNull();
        assertThat(got.role()).isEqualTo(Identification.Role.SERVER);
        assertThat(got.header("X-First")).isEqualTo(longValue);
        assertThat(got.header("X-Second")).isEqualTo(longValue);
    }

    @Test
    void bytesAfterTheBlockStayInTheBuffer() throws IOException {
        byte[] block = bytesOf(Identification.client());
        byte[] frame = {0x03, 0, 0, 0, 0};
        ByteBuf in = Unpooled.wrappedBuffer(block, frame);
        assertThat(new IdentificationBlock(Identification.MAX_LINE_LENGTH).feed(in).role())
                .isEqualTo(Identification.Role.CLIENT);
        assertThat(in.readableBytes()).isEqualTo(frame.length);
    }

    @Test
    void aLineLongerThanTheLimitIsRefusedAsSoonAsItIsTooLong() {
        IdentificationBlock block = new IdentificationBlock(64);
        ByteBuf in = Unpooled.wrappedBuffer(("HALIBUT-CLIENT " + "x".repeat(200)).getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> block.feed(in)).isInstanceOf(IOException.class);
        assertThat(in.readableBytes()).as("stopped at the limit, not at the end of the input").isGreaterThan(100);
    }

    private static byte[] bytesOf(Identification id) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        id.writeTo(out);
        return out.toByteArray();
    }
}
