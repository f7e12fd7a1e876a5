package dev.halibut.runtime.internal;

import dev.halibut.DataStream;
import dev.halibut.wire.IncomingResponse;
import java.util.Map;
import java.util.UUID;

/** A decoded response and the streams received with it. */
record Reply(IncomingResponse response, Map<UUID, DataStream> streams) {

    /** Releases the streams; for replies whose result will not be handed to the caller. */
    void discardStreams() {
        streams.values().forEach(DataStream::discard);
    }
}
