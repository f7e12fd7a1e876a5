package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.ProtocolException;
import dev.halibut.wire.StreamHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A received stream's data stays in the buffers it was decrypted into until its reader copies it, so every way a
 * stream can end must give those buffers back: read to the end, closed early, discarded unread, stored, cut off in
 * the middle of a frame, or its connection aborted with data still queued. The frames arrive in unpooled buffers
 * (one per frame), whose reference counts show whether anything still holds them.
 */
class IncomingStreamsBuffersTest {

    private static final int CHUNK = FrameType.MAX_STREAM_CHUNK;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path temp;

    private final UUID id = UUID.randomUUID();
    private final List<ByteBuf> inputs = new ArrayList<>();
    private final AtomicReference<Boolean> reusable = new AtomicReference<>();
    private EmbeddedConnection peer;
    private EmbeddedChannel channel;
    private Connection connection;
    private ReceivedStreamStore store;

    @BeforeEach
    void start() {
        peer = new EmbeddedConnection(TIMEOUT);
        channel = peer.channel;
        connection = peer.connection;
        store = new ReceivedStreamStore(temp);
    }

    @AfterEach
    void stop() {
        peer.close();
        store.close();
    }

    @Test
    void aStreamReadToItsEndReleasesEveryChunk() throws IOException {
        byte[] content = content(3 * CHUNK);
        sendStream(content);
        DataStream stream = callerStreams(content.length).get(id);

        try (InputStream in = stream.openStream()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }

        assertAllReleased();
        assertThat(reusable.get()).isTrue();
    }

    @Test
    void aStreamClosedInTheMiddleOfAChunkReleasesItAndSkipsTheRest() throws IOException {
        byte[] content = content(3 * CHUNK);
        sendStream(content);
        DataStream stream = callerStreams(content.length).get(id);

        InputStream in = stream.openStream();
        assertThat(in.readNBytes(10)).isEqualTo(Arrays.copyOf(content, 10));
        assertThat(inputs.get(0).refCnt()).as("the chunk being read is held").isEqualTo(1);
        in.close();

        assertAllReleased();
        assertThat(reusable.get()).isTrue();
    }

    @Test
    void aDiscardedStreamReleasesItsChunksUnread() throws IOException {
        byte[] content = content(2 * CHUNK + 7);
        sendStream(content);
        DataStream stream = callerStreams(content.length).get(id);

        stream.discard();

        assertAllReleased();
        assertThat(reusable.get()).isTrue();
    }

    @Test
    void aStoredStreamReleasesItsChunksAndReadsFromTheStore() throws IOException {
        byte[] content = content(2 * CHUNK + 7);
        sendStream(content);
        IncomingStreams streams = IncomingStreams.forService(connection, List.of(new StreamHeader(id, content.length)),
                store, TIMEOUT, StreamTransferListener.NONE, "the test request");
        DataStream stream = streams.streams().get(id);

        streams.storeRest();

        assertAllReleased();
        try (InputStream in = stream.openStream()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
    }

    @Test
    void aStreamCutOffInTheMiddleOfAFrameFailsAndReleasesWhatArrived() throws IOException {
        byte[] content = content(2 * CHUNK);
        feed(dataFrame(content, 0, CHUNK));
        byte[] second = dataFrame(content, CHUNK, CHUNK);
        feed(Arrays.copyOf(second, 1000)); // the peer goes away 995 bytes into the second frame
        DataStream stream = callerStreams(content.length).get(id);
        InputStream in = stream.openStream();
        assertThat(in.readNBytes(CHUNK)).isEqualTo(Arrays.copyOf(content, CHUNK));

        channel.pipeline().fireChannelInactive();

        assertThatThrownBy(in::read).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("Stream " + id).hasMessageContaining("cut short");
        assertAllReleased();
        assertThat(reusable.get()).isFalse();
    }

    @Test
    void anAbortedConnectionReleasesTheDataQueuedForTheReader() throws IOException {
        byte[] content = content(3 * CHUNK);
        sendStream(content);
        DataStream stream = callerStreams(content.length).get(id);
        InputStream in = stream.openStream();
        in.readNBytes(10);

        connection.abort(); // e.g. the call was cancelled: two chunks and the end are still in the inbox

        assertThat(inputs.subList(1, inputs.size())).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThatThrownBy(in::close).isInstanceOf(IOException.class); // skipping the rest finds the connection closed
        assertAllReleased();
    }

    @Test
    void dataLeftInTheInboxWhenTheChannelGoesIsCopiedOutOfThePoolAndStaysReadable() throws IOException {
        byte[] content = content(2 * CHUNK);
        sendStream(content);

        channel.close(); // the peer went away; this side has not closed the connection (yet)

        assertAllReleased();
        try (InputStream in = callerStreams(content.length).get(id).openStream()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
    }

    @Test
    void readFrameStillReturnsStreamDataAsAFrameCopy() throws IOException {
        byte[] content = content(100);
        feed(dataFrame(content, 0, content.length));

        assertThat(connection.readFrame(TIMEOUT).payload()).isEqualTo(content);
        assertAllReleased();
    }

    private Map<UUID, DataStream> callerStreams(long length) throws ProtocolException {
        IncomingStreams streams = IncomingStreams.forCaller(connection, List.of(new StreamHeader(id, length)), store,
                TIMEOUT, StreamTransferListener.NONE, "the test response", reusable::set);
        return streams.streams();
    }

    private void sendStream(byte[] content) {
        for (int at = 0; at < content.length; at += CHUNK) {
            feed(dataFrame(content, at, Math.min(CHUNK, content.length - at)));
        }
        ByteBuffer end = ByteBuffer.allocate(5 + FrameType.STREAM_END_SIZE);
        end.put((byte) FrameType.STREAM_END.code()).putInt(FrameType.STREAM_END_SIZE)
                .putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).putLong(content.length);
        feed(end.array());
    }

    private void feed(byte[] bytes) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        inputs.add(in);
        channel.writeInbound(in);
    }

    private void assertAllReleased() {
        assertThat(inputs).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    private static byte[] dataFrame(byte[] content, int from, int length) {
        return ByteBuffer.allocate(5 + length).put((byte) FrameType.STREAM_DATA.code()).putInt(length)
                .put(content, from, length).array();
    }

    private static byte[] content(int length) {
        byte[] b = new byte[length];
        new SplittableRandom(length).nextBytes(b);
        return b;
    }
}
