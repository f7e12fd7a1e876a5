package dev.halibut.wire;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.Serializers;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

/**
 * OSGi's {@code org.osgi.framework.Version} (one of the data types of Remote Services' {@code osgi.basic}
 * intent) travels as its string form, {@code major.minor.micro[.qualifier]}. It is found by name so this
 * bundle needs no OSGi import; reading uses its public {@code Version(String)} constructor, which Jackson
 * finds by itself.
 */
final class VersionModule extends SimpleModule {

    private static final long serialVersionUID = 1L;
    static final String VERSION = "org.osgi.framework.Version";

    VersionModule() {
        super("halibut-osgi-version");
    }

    @Override
    public void setupModule(SetupContext context) {
        super.setupModule(context);
        context.addSerializers(new Serializers.Base() {
            @Override
            public JsonSerializer<?> findSerializer(SerializationConfig config, JavaType type, BeanDescription beanDesc) {
                return type.getRawClass().getName().equals(VERSION) ? ToStringSerializer.instance : null;
            }
        });
    }
}
