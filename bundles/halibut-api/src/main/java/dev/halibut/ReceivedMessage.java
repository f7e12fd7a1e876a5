package dev.halibut;

import java.util.Map;
import java.util.UUID;

/**
 * A message as received: its envelope (BSON) and the streams that followed it, by id. What a
 * pending-request queue ({@code dev.halibut.polling}) hands back as a polled request's response.
 *
 * @param bson    the envelope as uncompressed BSON; opaque to a queue
 * @param streams the streams received with it, by the id the envelope names them with
 */
public record ReceivedMessage(byte[] bson, Map<UUID, DataStream> streams) {
    public ReceivedMessage {
        streams = Map.copyOf(streams);
    }

    /** Releases the streams nobody will read (the message was abandoned). */
    public void discardStreams() {
        streams.values().forEach(DataStream::discard);
    }
}
