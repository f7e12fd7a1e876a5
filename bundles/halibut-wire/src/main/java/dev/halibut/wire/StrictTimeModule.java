package dev.halibut.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Duration;

/**
 * Binds {@code java.time} values only from the ISO-8601 strings the codec writes (docs/protocol.md,
 * section 4). Jackson's java.time module also reads numbers (epoch seconds or days, in units that depend on
 * settings) and arrays ({@code [2026, 11, 27]}); a peer cannot know which it would get, so they are refused.
 * The one exception is {@link Duration}, which older peers wrote as a BSON number of seconds: a number is
 * still read as seconds.
 */
final class StrictTimeModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    StrictTimeModule() {
        super("halibut-strict-time");
        setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription beanDesc,
                                                          JsonDeserializer<?> deserializer) {
                Class<?> type = beanDesc.getBeanClass();
                if (type.getPackageName().equals("java.time")) {
                    return new IsoStringsOnly(deserializer, type == Duration.class);
                }
                return deserializer;
            }
        });
    }

    private static final class IsoStringsOnly extends DelegatingDeserializer {
        private static final long serialVersionUID = 1L;

        private final boolean numbersToo;

        IsoStringsOnly(JsonDeserializer<?> delegate, boolean numbersToo) {
            super(delegate);
            this.numbersToo = numbersToo;
        }

        @Override
        protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
            return new IsoStringsOnly(newDelegatee, numbersToo);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_STRING || numbersToo && t != null && t.isNumeric()) {
                return _delegatee.deserialize(p, ctxt);
            }
            throw MismatchedInputException.from(p, handledType(), "expected an ISO-8601 string for "
                    + handledType().getName() + (numbersToo ? " (or a number of seconds)" : "") + ", got "
                    + StrictScalarsModule.describe(p));
        }
    }
}
