package dev.halibut.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.halibut.DataStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a {@link DataStream} as a reference ({@code {id, length}}) and collects it for sending after
 * the message; reads a reference back as the stream received with the message. Which streams belong to
 * the message travels in Jackson context attributes, so the mapper stays shared and thread-safe.
 */
final class DataStreamModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    /** Attribute: the {@code List<DataStream>} collecting outgoing streams. */
    static final String OUTGOING = "dev.halibut.streams.outgoing";
    /** Attribute: the {@code Map<UUID, DataStream>} of streams received with the message. */
    static final String INCOMING = "dev.halibut.streams.incoming";

    DataStreamModule() {
        super("halibut-datastream");
        addSerializer(DataStream.class, new Serializer());
        addDeserializer(DataStream.class, new Deserializer());
    }

    private static final class Serializer extends JsonSerializer<DataStream> {
        @Override
        @SuppressWarnings("unchecked")
        public void serialize(DataStream stream, JsonGenerator g, SerializerProvider provider) throws IOException {
            Object attr = provider.getAttribute(OUTGOING);
            if (!(attr instanceof List<?>)) {
                throw JsonMappingException.from(provider, "A DataStream can only be sent inside a Halibut message");
            }
            List<DataStream> outgoing = (List<DataStream>) attr;
            if (outgoing.stream().noneMatch(s -> s.id().equals(stream.id()))) {
                outgoing.add(stream);
            }
            g.writeStartObject();
            g.writeStringField("id", stream.id().toString());
            g.writeNumberField("length", stream.length());
            g.writeEndObject();
        }
    }

    private static final class Deserializer extends JsonDeserializer<DataStream> {
        @Override
        @SuppressWarnings("unchecked")
        public DataStream deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            JsonNode id = node.get("id");
            if (id == null || !id.isTextual()) {
                throw JsonMappingException.from(p, "A DataStream reference needs an 'id' string");
            }
            UUID uuid;
            try {
                uuid = UUID.fromString(id.textValue());
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, "DataStream id '" + id.textValue() + "' is not a UUID", e);
            }
            Object attr = ctxt.getAttribute(INCOMING);
            DataStream stream = attr instanceof Map<?, ?> m ? ((Map<UUID, DataStream>) m).get(uuid) : null;
            if (stream == null) {
                throw JsonMappingException.from(p, "The message refers to stream " + uuid + ", which was not sent with it");
            }
            return stream;
        }
    }
}
