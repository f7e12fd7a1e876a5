package dev.halibut.transport;

import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * The serving side of one request/response on a connection, the twin of {@link RequestExchange} (a
 * listener serving a caller, a polling subscriber serving its listener): decode the REQUEST frame just read,
 * receive the request's streams, then send the RESPONSE frame and the response's streams. What runs in
 * between (the service) is the caller's. Thread-safe; one instance serves a runtime.
 */
public final class ServingExchange {

    private final MessageCodec codec;
    private final ReceivedStreamStore streams;
    private final StreamTransferListener progress;

    /**
     * @param streams  where the request's streams are stored as they arrive
     * @param progress told about every stream chunk sent and received
     */
    public ServingExchange(MessageCodec codec, ReceivedStreamStore streams, StreamTransferListener progress) {
        this.codec = codec;
        this.streams = streams;
        this.progress = progress;
    }

    /**
     * Starts serving the REQUEST {@code frame} just read from {@code connection}: decompresses and decodes its
     * envelope. Nothing of its streams has been read yet.
     *
     * @throws ProtocolException the frame is not a well-formed request; close the connection
     */
    public Served receive(Connection connection, Frame frame) throws ProtocolException {
        if (frame.type() != FrameType.REQUEST) {
            throw new ProtocolException("expected a REQUEST frame but got " + frame.type());
        }
        return new Served(connection, codec.decodeRequest(connection.messageBytes(frame)));
    }

    /**
     * One request being served. Closing it deletes what is left of the request's streams (those the service
     * did not read), so a service sees them only while it runs.
     */
    public final class Served implements AutoCloseable {
        private final Connection connection;
        private final IncomingRequest request;
        private Map<UUID, DataStream> received = Map.of();

        private Served(Connection connection, IncomingRequest request) {
            this.connection = connection;
            this.request = request;
        }

        /** The decoded request envelope. */
        public IncomingRequest request() {
            return request;
        }

        /**
         * Receives the streams the request announces (they follow it on the wire, so this comes before the
         * response), waiting at most {@code timeout} for each read.
         *
         * @return the streams by id, for binding the arguments
         * @throws IOException the streams could not be received (aborted by the peer, protocol error, connection
         *                     lost, over this side's limits); close the connection
         */
        public Map<UUID, DataStream> receiveStreams(Duration timeout) throws IOException {
            received = connection.receiveStreams(request.streams(), streams, timeout, progress);
            return received;
        }

        /**
         * Sends the response and then its streams.
         *
         * @throws IOException the connection failed, or a response stream's source failed (after STREAM_ABORT);
         *                     close the connection
         */
        public void respond(EncodedMessage response) throws IOException {
            connection.sendMessage(FrameType.RESPONSE, response.bson());
            connection.sendStreams(response.streams(), progress);
        }

        @Override
        public void close() {
            received.values().forEach(DataStream::discard);
        }
    }
}
