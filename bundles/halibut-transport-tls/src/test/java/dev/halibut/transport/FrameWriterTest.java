package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.wire.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The writer's decisions that depend on what the inbound side knows of the peer (docs/modules.md, "a connection's
 * parts": they share one lock): a REQUEST is withheld once the peer's END has arrived, even after the reader took
 * the END out of the inbox; after the peer's close the first other frame is dropped quietly, as a TCP write after
 * the peer's FIN would be, and the next fails.
 */
class FrameWriterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] BSON = {5, 0, 0, 0, 0};

    @RegisterExtension
    final EmbeddedConnection peer = new EmbeddedConnection(TIMEOUT);
    private final EmbeddedChannel channel = peer.channel;
    private final Connection connection = peer.connection;

    @Test
    void aRequestIsWithheldOnceTheEndHasArrivedEvenIfTheReaderTookIt() throws IOException {
        arrives(FrameType.END);
        assertThat(connection.readFrame(TIMEOUT).type()).isEqualTo(FrameType.END);

        assertThatThrownBy(() -> connection.sendMessage(FrameType.REQUEST, BSON))
                .isInstanceOf(RequestNotWrittenException.class)
                .hasMessageContaining("test peer")
                .hasMessageContaining("(END)");
        assertThat(connection.requestWrite()).isEqualTo(Connection.RequestWrite.WITHHELD);
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void aRequestOnAnOpenQuietConnectionIsWritten() throws IOException {
        connection.sendMessage(FrameType.REQUEST, BSON);

        assertThat(connection.requestWrite()).isEqualTo(Connection.RequestWrite.WRITTEN);
        ByteBuf written = channel.readOutbound();
        assertThat((int) written.getUnsignedByte(0)).isEqualTo(FrameType.REQUEST.code());
        written.release();
    }

    @Test
    void afterThePeersCloseTheFirstWriteIsDroppedQuietlyAndTheNextFails() throws IOException {
        channel.close(); // the channel goes inactive as when the peer closes; this side has not closed the connection

        connection.sendControl(FrameType.PROCEED);
        assertThat((Object) channel.readOutbound()).isNull();

        assertThatThrownBy(() -> connection.sendControl(FrameType.PROCEED))
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("was closed by the peer");
        assertThatThrownBy(() -> connection.sendMessage(FrameType.REQUEST, BSON))
                .isInstanceOf(RequestNotWrittenException.class)
                .hasMessageContaining("the peer had closed the connection");
    }

    private void arrives(FrameType type) {
        peer.arrives(type, 0);
    }
}
