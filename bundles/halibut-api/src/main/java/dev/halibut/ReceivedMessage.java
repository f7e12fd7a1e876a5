package dev.halibut;

import java.util.Map;
import java.util.UUID;

/**
 * A message as received: its envelope (BSON), the streams that followed it, by id, and, when the side that
 * received it has decoded the envelope already (to learn which streams follow), that decoded form. What a
 * pending-request queue ({@code dev.halibut.polling}) hands back as a polled request's response. A queue passes
 * {@code decoded} through as it is, or drops it (a queue that carries the response to another process keeps the
 * BSON only); where it is {@code null} the runtime decodes {@code bson}. Carried through, it saves a runtime
 * whose own listener received the response a second decoding.
 *
 * @param bson    the envelope as uncompressed BSON; opaque to a queue
 * @param streams the streams received with it, by the id the envelope names them with
 * @param decoded the decoded envelope, opaque to a queue; or {@code null}
 */
public record ReceivedMessage(byte[] bson, Map<UUID, DataStream> streams, Decoded decoded) {
    public ReceivedMessage {
        streams = Map.copyOf(streams);
    }

    /** A response known only by its bytes (decoded by whoever reads it). */
    public ReceivedMessage(byte[] bson, Map<UUID, DataStream> streams) {
        this(bson, streams, null);
    }

    /** Releases the streams nobody will read (the message was abandoned). */
    public void discardStreams() {
        streams.values().forEach(DataStream::discard);
    }

    /**
     * The decoded form of a message's envelope, as the Halibut runtime that received it holds it. Queues neither
     * create nor inspect one; it only saves the runtime a second decoding.
     */
    public interface Decoded {
    }
}
