package dev.halibut;

import java.util.List;

/**
 * An encoded envelope and the streams whose bodies must follow it on the wire, in this order. What a
 * pending-request queue ({@code dev.halibut.polling.PendingRequestQueue}) stores for a polled request.
 *
 * @param bson    the envelope as uncompressed BSON (docs/protocol.md; each connection compresses it);
 *                opaque to a queue
 * @param streams the streams the envelope refers to, in the order their bodies follow it
 */
public record EncodedMessage(byte[] bson, List<DataStream> streams) {
    public EncodedMessage {
        streams = List.copyOf(streams);
    }

    public static EncodedMessage withoutStreams(byte[] bson) {
        return new EncodedMessage(bson, List.of());
    }
}
