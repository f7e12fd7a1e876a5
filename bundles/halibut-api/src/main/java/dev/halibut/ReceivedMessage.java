package dev.halibut;

import java.util.Map;
import java.util.UUID;

/** A message as received: its envelope (BSON) and the streams that followed it, by id. */
public record ReceivedMessage(byte[] bson, Map<UUID, DataStream> streams) {
    public ReceivedMessage {
        streams = Map.copyOf(streams);
    }

    /** Releases the streams nobody will read (the message was abandoned). */
    public void discardStreams() {
        streams.values().forEach(DataStream::discard);
    }
}
