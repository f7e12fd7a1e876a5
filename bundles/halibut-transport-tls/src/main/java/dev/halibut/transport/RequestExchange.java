package dev.halibut.transport;

import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.transport.ExchangeException.Kind;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.ProtocolException;
import dev.halibut.ReceivedMessage;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The requesting side of one request/response on a connection (a caller on a listening endpoint, a
 * listener handing a queued request to a polling subscriber, a ping): send the REQUEST frame and the
 * request's streams, read the RESPONSE frame, decompress and decode it, check it answers this request, and
 * receive its streams (stored, or read as the caller reads them: {@link #callStreaming}). Every way this can fail is reported as one {@link ExchangeException} whose
 * {@linkplain ExchangeException#kind() kind} says whether the request was sent, may have run, and whether the
 * connection can be reused; the caller words the message. Thread-safe; one instance serves a runtime.
 *
 * <p>The connection is the caller's: it checks liveness before (see {@link Connection#readyForRequest}) and
 * closes, pools or keeps it after, as the failure's kind says.
 */
public final class RequestExchange {

    private final MessageCodec codec;
    private final ReceivedStreamStore streams;
    private final StreamTransferListener progress;

    /**
     * @param streams  where the response's streams are stored as they arrive
     * @param progress told about every stream chunk sent and received
     */
    public RequestExchange(MessageCodec codec, ReceivedStreamStore streams, StreamTransferListener progress) {
        this.codec = codec;
        this.streams = streams;
        this.progress = progress;
    }

    /**
     * A response as the exchange received it: the envelope's bytes, the envelope decoded, and the streams that
     * followed it (the caller's to read or discard).
     */
    public record Response(byte[] bson, IncomingResponse envelope, Map<UUID, DataStream> streams) {

        /** The response for a pending-request queue, carrying the decoded envelope so it is not decoded again. */
        public ReceivedMessage received() {
            return new ReceivedMessage(bson, streams, envelope);
        }
    }

    /**
     * Told once when the streams of a response returned by {@link #callStreaming} no longer need the connection.
     */
    public interface StreamsFinished {
        /**
         * @param connectionReusable every stream was read to its end or discarded: the connection is idle and can
         *                           go back to the pool. {@code false}: a stream failed or was dropped unread, and
         *                           the connection is closed
         */
        void finished(boolean connectionReusable);
    }

    /**
     * How the streams of a response are handed on while they arrive ({@link #callStreaming}).
     *
     * @param peer         the sender as a failed read names it ("the response to request R from <i>peer</i>")
     * @param readTimeout  how long each read waits for the next frame of a stream
     * @param whenFinished told once when the streams no longer need the connection
     */
    public record LiveStreams(String peer, Duration readTimeout, StreamsFinished whenFinished) {
    }

    /**
     * Sends {@code request} on {@code connection} and returns its response: the envelope's bytes, the decoded
     * envelope and the streams received with it, all stored before this returns (the caller's to read or discard;
     * for a response handed to another node, or to a queue that keeps it, as a shared queue's polled one is). The
     * connection is idle again on return.
     *
     * @param responseTimeout how long to wait for the response, and for each read of its streams
     * @throws ExchangeException the exchange failed; its kind classifies the failure
     */
    public Response call(Connection connection, String requestId, EncodedMessage request,
                         Duration responseTimeout) throws ExchangeException {
        return exchange(connection, requestId, request, responseTimeout, null);
    }

    /**
     * Like {@link #call}, but returns as soon as the RESPONSE message is decoded: its streams are read from the
     * connection as the caller reads them (at most {@code responseTimeout} for each frame), and the connection
     * stays the response's until {@code whenFinished} is told (at once, before this returns, when there are no
     * streams). It is not told when this throws: then the connection is the caller's, as after {@link #call}.
     */
    public Response callStreaming(Connection connection, String requestId, EncodedMessage request,
                                  Duration responseTimeout, StreamsFinished whenFinished) throws ExchangeException {
        return exchange(connection, requestId, request, responseTimeout,
                new LiveStreams(connection.description(), responseTimeout, whenFinished));
    }

    /**
     * Like {@link #callStreaming(Connection, String, EncodedMessage, Duration, StreamsFinished)}, with the streams'
     * reads as {@code live} says: named by its peer ("the polling service host of poll://y/ ...", where the
     * connection's own description would name only its address), each waiting at most its read timeout (the waiting
     * caller's response timeout, where the exchange waits for the response by the listener's).
     */
    public Response callStreaming(Connection connection, String requestId, EncodedMessage request,
                                  Duration responseTimeout, LiveStreams live) throws ExchangeException {
        return exchange(connection, requestId, request, responseTimeout, live);
    }

    private Response exchange(Connection connection, String requestId, EncodedMessage request,
                              Duration responseTimeout, LiveStreams live) throws ExchangeException {
        try {
            try {
                connection.sendMessage(FrameType.REQUEST, request.bson());
            } catch (MessageTooLargeException e) {
                throw new ExchangeException(Kind.NOT_SENT, e);
            }
            try {
                StreamSender.send(connection, request.streams(), progress);
            } catch (StreamSourceException e) {
                throw new ExchangeException(Kind.STREAM_SOURCE_FAILED, e);
            }
            Frame frame = connection.readFrame(responseTimeout);
            return response(connection, requestId, frame, responseTimeout, live);
        } catch (ExchangeException e) {
            throw e;
        } catch (RequestNotWrittenException e) {
            throw new ExchangeException(Kind.NOT_WRITTEN, e);
        } catch (IOException e) {
            throw notDelivered(connection, e).orElseGet(() -> classify(e));
        }
    }

    /**
     * The event loop's look at the first frame after a request sent with
     * {@link Connection#sendRequestThenOnReadable}: never blocks. Returns the response, decompressed (bounded by the
     * maximum message size) and decoded, when {@code frame} is a RESPONSE to {@code requestId} that announces no
     * streams; {@code null} for anything else (END, another frame, a response that is malformed, answers another
     * request, or announces streams): then {@link #responseFrom} takes the same frame on a worker thread, receives
     * the streams or says what went wrong, exactly as {@link #call} would.
     */
    public Response responseWithoutStreams(Connection connection, String requestId, Frame frame) {
        if (frame.type() != FrameType.RESPONSE) {
            return null;
        }
        try {
            byte[] bson = connection.messageBytes(frame);
            IncomingResponse response = codec.decodeResponse(bson);
            if (!response.id().equals(requestId) || !response.streams().isEmpty()) {
                return null;
            }
            return new Response(bson, response, Map.of());
        } catch (IOException e) {
            return null; // responseFrom reports it (a malformed message, or the connection closed meanwhile)
        }
    }

    /**
     * The rest of an exchange whose request went out with {@link Connection#sendRequestThenOnReadable}, from the
     * first frame that followed it: what {@link #call} does after its read of the response (END in its place, a
     * frame out of turn, decoding, the request id, storing the response's streams). May block (streams): for a
     * worker thread.
     *
     * @throws ExchangeException as {@link #call} would throw it
     */
    public Response responseFrom(Connection connection, String requestId, Frame frame, Duration responseTimeout)
            throws ExchangeException {
        return responseFrom(connection, requestId, frame, responseTimeout, null);
    }

    /**
     * Like {@link #responseFrom(Connection, String, Frame, Duration)}, but with the response's streams read from the
     * connection as their reader reads them, as {@link #callStreaming(Connection, String, EncodedMessage, Duration,
     * LiveStreams)} returns them: the connection stays the response's until {@code live}'s {@code whenFinished} is
     * told.
     */
    public Response responseFromStreaming(Connection connection, String requestId, Frame frame,
                                          Duration responseTimeout, LiveStreams live) throws ExchangeException {
        return responseFrom(connection, requestId, frame, responseTimeout, live);
    }

    private Response responseFrom(Connection connection, String requestId, Frame frame, Duration responseTimeout,
                                  LiveStreams live) throws ExchangeException {
        try {
            return response(connection, requestId, frame, responseTimeout, live);
        } catch (ExchangeException e) {
            throw e;
        } catch (IOException e) {
            throw failure(connection, e);
        }
    }

    /**
     * The response in {@code frame} (the first frame after the request) and its streams: stored now when
     * {@code live} is null (each frame waited for at most {@code responseTimeout}), else read as the caller reads
     * them.
     */
    private Response response(Connection connection, String requestId, Frame frame, Duration responseTimeout,
                              LiveStreams live) throws IOException {
        byte[] bson = responseBytes(connection, frame);
        IncomingResponse response = decodeResponseTo(requestId, bson);
        if (response.streams().isEmpty()) {
            // Most responses: nothing follows the message, the connection is idle again (no stream bookkeeping).
            if (live != null) {
                live.whenFinished().finished(true);
            }
            return new Response(bson, response, Map.of());
        }
        Map<UUID, DataStream> received;
        if (live == null) {
            String source = "the response to request " + requestId + " from " + connection.description();
            try {
                received = IncomingStreams.storeAll(connection, response.streams(), streams, responseTimeout,
                        progress, source);
            } catch (StreamAbortedException e) {
                throw new ExchangeException(Kind.RESPONSE_STREAM_ABORTED, e);
            }
        } else {
            String source = "the response to request " + requestId + " from " + live.peer();
            received = IncomingStreams.forCaller(connection, response.streams(), streams, live.readTimeout(), progress,
                    source, live.whenFinished()::finished).streams();
        }
        return new Response(bson, response, received);
    }

    /**
     * How an exchange whose request went out with {@link Connection#sendRequestThenOnReadable} failed, from what
     * the send threw or what the wait for the response reported (the connection's failure, its end, or a
     * {@link SocketTimeoutException} when nothing came within the response timeout), classified as {@link #call}
     * classifies it. Waits (at most the write timeout) for the request's write to be known: for a worker thread.
     */
    public ExchangeException failure(Connection connection, IOException e) {
        if (e instanceof MessageTooLargeException) {
            return new ExchangeException(Kind.NOT_SENT, e);
        }
        if (e instanceof RequestNotWrittenException) {
            return new ExchangeException(Kind.NOT_WRITTEN, e);
        }
        return notDelivered(connection, e).orElseGet(() -> classify(e));
    }

    /**
     * The decompressed BSON of the frame that answered a request: a RESPONSE, or else END in its place (the peer
     * refused the request unread, protocol.md section 5, unless it never reached the peer) or a frame out of turn.
     */
    private static byte[] responseBytes(Connection connection, Frame frame) throws IOException {
        if (frame.type() == FrameType.END) {
            IOException cause = new IOException("the peer answered END instead of a RESPONSE");
            throw notDelivered(connection, cause).orElseGet(() -> new ExchangeException(Kind.REFUSED_UNREAD, cause));
        }
        if (frame.type() != FrameType.RESPONSE) {
            throw new ProtocolException("expected a RESPONSE frame but got " + frame.type());
        }
        return connection.messageBytes(frame);
    }

    /** The response envelope in {@code bson}, which must answer {@code requestId}. */
    private IncomingResponse decodeResponseTo(String requestId, byte[] bson) throws ProtocolException {
        IncomingResponse response = codec.decodeResponse(bson);
        if (!response.id().equals(requestId)) {
            throw new ProtocolException("the response is for request " + response.id() + ", not " + requestId);
        }
        return response;
    }

    /**
     * The exchange failed with {@code e}: if the request provably never reached the peer in full (the event loop
     * withheld it because the peer had ended the connection first, or its write failed), it did not run, whatever
     * the failure looks like after that.
     */
    private static Optional<ExchangeException> notDelivered(Connection connection, IOException e) {
        return switch (connection.requestWrite()) {
            case WITHHELD -> Optional.of(new ExchangeException(Kind.NOT_WRITTEN, e));
            case FAILED -> Optional.of(new ExchangeException(Kind.NOT_DELIVERED, e));
            case WRITTEN -> Optional.empty();
        };
    }

    private static ExchangeException classify(IOException e) {
        Kind kind = e instanceof WriteTimeoutException ? Kind.CONNECTION_LOST // the peer stopped reading what we sent
                : e instanceof SocketTimeoutException ? Kind.NO_RESPONSE
                : e instanceof ProtocolException ? Kind.PROTOCOL_ERROR
                : Kind.CONNECTION_LOST;
        return new ExchangeException(kind, e);
    }
}
