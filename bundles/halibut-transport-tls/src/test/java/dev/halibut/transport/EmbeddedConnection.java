package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageMemoryBudget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link Connection} on Netty's {@link EmbeddedChannel}, for tests of what the connection does with frames: no
 * socket and no event-loop thread; the test plays the peer, feeding bytes in ({@link #arrives}) and reading what the
 * connection wrote from {@link #channel}. Closing it closes the connection and releases what the channel still holds;
 * a test that registers it as an extension ({@code @RegisterExtension}, one per test) has it closed after each test.
 */
final class EmbeddedConnection implements AutoCloseable, AfterEachCallback {

    /** How the connection names its peer in its messages. */
    static final String PEER = "test peer";

    final EmbeddedChannel channel = new EmbeddedChannel();
    final Connection connection;

    /** @param readWait how long a large message may wait for the (unbounded) budget, as a real connection's first read */
    EmbeddedConnection(Duration readWait) {
        connection = new Connection(channel, HalibutLimits.defaults(), MessageMemoryBudget.unbounded(), "thumbprint",
                PEER, readWait);
        connection.attach(channel.pipeline());
    }

    /** A frame of {@code type} with {@code length} zero bytes of payload arrives from the peer. */
    void arrives(FrameType type, int length) {
        ByteBuf frame = Unpooled.buffer(5 + length);
        frame.writeByte(type.code()).writeInt(length).writeZero(length);
        channel.writeInbound(frame);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        connection.close();
        channel.finishAndReleaseAll();
    }
}
