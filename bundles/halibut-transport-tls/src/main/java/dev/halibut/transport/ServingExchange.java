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
 * hand out the request's streams to be read as they arrive, store what the service left unread, then send the
 * RESPONSE frame and the response's streams. What runs in
 * between (the service) is the caller's. Thread-safe; one instance serves a runtime.
 */
public final class ServingExchange {

    private final MessageCodec codec;
    private final ReceivedStreamStore streams;
    private final StreamTransferListener progress;

    /**
     * @param streams  where request streams are stored when the service does not read them in order or in time
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
     * @throws java.net.SocketException the connection was closed meanwhile
     */
    public Served receive(Connection connection, Frame frame) throws IOException {
        if (frame.type() != FrameType.REQUEST) {
            throw new ProtocolException("expected a REQUEST frame but got " + frame.type());
        }
        return new Served(connection, codec.decodeRequest(connection.messageBytes(frame)));
    }

    /**
     * One request being served. Its streams are read from the connection as the service reads them; what the
     * service leaves unread is stored by {@link #finishStreams()} before the response goes out.
     */
    public final class Served implements AutoCloseable {
        private final Connection connection;
        private final IncomingRequest request;
        private IncomingStreams incoming;
        private boolean finished;

        private Served(Connection connection, IncomingRequest request) {
            this.connection = connection;
            this.request = request;
        }

        /** The decoded request envelope. */
        public IncomingRequest request() {
            return request;
        }

        /**
         * The streams the request announces, readable as they arrive (they follow the request on the wire): a read
         * waits at most {@code timeout} for each frame, and one that fails (the sender aborted, the connection
         * ended, a timeout, a protocol error) throws an IOException naming the stream and the peer. Nothing is read
         * here.
         *
         * @return the streams by id, for binding the arguments
         * @throws ProtocolException the request announces more streams, or more stream content, than this side's
         *                           limits allow; close the connection
         */
        public Map<UUID, DataStream> receiveStreams(Duration timeout) throws ProtocolException {
            if (request.streams().isEmpty()) {
                return Map.of(); // most requests: nothing follows the message, nothing to read or store
            }
            incoming = IncomingStreams.forService(connection, request.streams(), streams, timeout, progress,
                    "the request " + request.service() + "." + request.method() + " from " + connection.description());
            return incoming.streams();
        }

        /**
         * Takes what is left of the request's streams off the connection: those the service kept unread are stored
         * (a kept {@link DataStream} stays readable; its file goes when it is read, discarded or garbage-collected),
         * those discarded or dropped are skipped. Call when the service has returned, before {@link #respond}.
         *
         * @throws IOException a stream failed, now or while the service read it; the connection is aborted and no
         *                     response can follow
         */
        public void finishStreams() throws IOException {
            if (incoming != null) {
                incoming.storeRest();
            }
            finished = true;
        }

        /**
         * Sends the response and then its streams ({@link #finishStreams()} first, if it was not called).
         *
         * @throws IOException the connection failed, or a response stream's source failed (after STREAM_ABORT);
         *                     close the connection
         */
        public void respond(EncodedMessage response) throws IOException {
            if (!finished) {
                finishStreams(); // the response follows the request's streams on the wire
            }
            connection.sendMessage(FrameType.RESPONSE, response.bson());
            StreamSender.send(connection, response.streams(), progress);
        }

        /**
         * Ends serving. If the streams were not finished (the exchange failed), nothing more of them is read, reads
         * still to come fail and stored copies not yet opened are deleted.
         */
        @Override
        public void close() {
            if (incoming != null && !finished) {
                incoming.abandon("The exchange of the request " + request.service() + "." + request.method() + " from "
                        + connection.description() + " ended before its streams were received");
            }
        }
    }
}
