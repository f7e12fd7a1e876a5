package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The inbox's byte accounting and its read gate: the connection stops reading from the socket once the frames held
 * for the reader exceed {@link Connection#INBOX_HIGH_BYTES}, and reads again only once the reader has taken them down
 * to half of it (not at the first frame taken, which would make the gate flap at the bound).
 */
class FrameInboxTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Five of these are over the bound, four are not; two are at most half of it, three are not. */
    private static final int PAYLOAD = 60_000;

    @RegisterExtension
    final EmbeddedConnection peer = new EmbeddedConnection(TIMEOUT);
    private final EmbeddedChannel channel = peer.channel;
    private final Connection connection = peer.connection;

    @Test
    void readingStopsAboveTheBoundAndResumesOnlyAtHalfOfIt() throws IOException {
        assertThat(4 * PAYLOAD).isLessThanOrEqualTo(Connection.INBOX_HIGH_BYTES);
        assertThat(5 * PAYLOAD).isGreaterThan(Connection.INBOX_HIGH_BYTES);
        assertThat(2 * PAYLOAD).isLessThanOrEqualTo(Connection.INBOX_HIGH_BYTES / 2);
        assertThat(3 * PAYLOAD).isGreaterThan(Connection.INBOX_HIGH_BYTES / 2);

        for (int i = 0; i < 4; i++) {
            arrives(FrameType.RESPONSE, PAYLOAD);
        }
        assertThat(channel.config().isAutoRead()).as("reading at the bound").isTrue();

        arrives(FrameType.RESPONSE, PAYLOAD);
        assertThat(channel.config().isAutoRead()).as("reading above the bound").isFalse();

        takeResponse();
        assertThat(channel.config().isAutoRead()).as("reading with 4 frames held").isFalse();
        takeResponse();
        assertThat(channel.config().isAutoRead()).as("reading with 3 frames held").isFalse();
        takeResponse();
        assertThat(channel.config().isAutoRead()).as("reading with 2 frames held").isTrue();
    }

    @Test
    void controlFramesCountNothingTowardsTheBound() throws IOException {
        for (int i = 0; i < 4; i++) {
            arrives(FrameType.RESPONSE, PAYLOAD);
        }
        for (int i = 0; i < 100; i++) {
            arrives(FrameType.PROCEED, 0);
        }

        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void aCloseHereEmptiesTheInboxAndReadsFailAsClosed() throws IOException {
        for (int i = 0; i < 5; i++) {
            arrives(FrameType.RESPONSE, PAYLOAD);
        }

        connection.close();

        assertThatThrownBy(() -> connection.readFrame(TIMEOUT))
                .isInstanceOf(SocketException.class).hasMessageContaining("is closed");
        assertThat(connection.isQuiet()).isFalse();
    }

    private void arrives(FrameType type, int length) {
        peer.arrives(type, length);
    }

    private void takeResponse() throws IOException {
        Frame f = connection.readFrame(TIMEOUT);
        assertThat(f.type()).isEqualTo(FrameType.RESPONSE);
        assertThat(f.payload()).hasSize(PAYLOAD);
    }
}
