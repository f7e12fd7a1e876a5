package dev.halibut.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;

/**
 * Types the codec never binds from the wire, whatever a contract declares: a value of such a type would
 * let the data choose a Java class. Jackson's own deserializer for {@link Class} calls
 * {@code Class.forName(name, true, ...)}, which loads and initialises any class the peer names (running
 * its static initialiser) without anything being instantiated.
 */
final class RefusedTypesModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    @SuppressWarnings({"unchecked", "rawtypes"})
    RefusedTypesModule() {
        super("halibut-refused-types");
        addDeserializer((Class) Class.class, new Refused());
    }

    private static final class Refused extends JsonDeserializer<Object> {
        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            throw JsonMappingException.from(p, "Halibut does not bind java.lang.Class values from a message: that"
                    + " would let the sender choose a class to load. Send the class name as a String and map it"
                    + " to a class of your choosing");
        }
    }
}
