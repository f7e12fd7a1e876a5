package dev.halibut.wire;

import dev.halibut.DataStream;
import java.util.Map;
import java.util.UUID;

/**
 * A response as received: its envelope (BSON), the streams that followed it, by id, and, when the side that
 * received it decoded it already (to learn which streams follow), the decoded envelope, so that a caller in the
 * same process does not decode it a second time. A queue that carries the response to another process keeps
 * the BSON only; there {@code decoded} is {@code null} and the caller decodes.
 *
 * @param decoded the decoded {@code bson}, or {@code null}
 */
public record ReceivedMessage(byte[] bson, Map<UUID, DataStream> streams, IncomingResponse decoded) {
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
}
