package dev.halibut;

import java.util.List;

/** An encoded envelope and the streams whose bodies must follow it on the wire, in this order. */
public record EncodedMessage(byte[] bson, List<DataStream> streams) {
    public EncodedMessage {
        streams = List.copyOf(streams);
    }

    public static EncodedMessage withoutStreams(byte[] bson) {
        return new EncodedMessage(bson, List.of());
    }
}
