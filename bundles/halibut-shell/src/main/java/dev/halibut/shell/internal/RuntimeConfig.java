package dev.halibut.shell.internal;

import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The Config Admin side of the commands: PID {@value #PID}, which the registry turns into the runtime, and
 * the import configurations. Commands change the configuration, not only the live runtime, so a change
 * survives restarts (Karaf writes it back to {@code etc/dev.halibut.runtime.cfg} when the configuration
 * came from there).
 */
final class RuntimeConfig {

    static final String PID = "dev.halibut.runtime";
    static final String IMPORT_FACTORY_PID = "dev.halibut.import";
    static final String POLL_FACTORY_PID = "dev.halibut.poll";
    static final String TRUSTED = "trusted.thumbprints";
    static final String KEYSTORE_PATH = "keystore.path";
    static final String KEYSTORE_PASSWORD = "keystore.password";
    /** Any bundle may receive a configuration created here: the registry, not this bundle, consumes it. */
    private static final String ANY_LOCATION = "?";

    private RuntimeConfig() {
    }

    /** The runtime's configuration; created (empty) if there is none yet. */
    static Configuration runtime(ConfigurationAdmin admin) throws IOException {
        try {
            Configuration[] found = admin.listConfigurations("(service.pid=" + PID + ")");
            if (found != null && found.length > 0) {
                return found[0];
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return admin.getConfiguration(PID, ANY_LOCATION);
    }

    /** The configuration's properties, as a modifiable copy (empty for a new configuration). */
    static Hashtable<String, Object> properties(Configuration configuration) {
        Hashtable<String, Object> copy = new Hashtable<>();
        Dictionary<String, Object> p = configuration.getProperties();
        if (p != null) {
            for (var keys = p.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                copy.put(k, p.get(k));
            }
        }
        return copy;
    }

    /** A list property as the registry reads it: an array, a collection or a comma-separated string. */
    static List<String> strings(Object value) {
        List<Object> raw = new ArrayList<>();
        if (value == null) {
            return List.of();
        } else if (value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                raw.add(Array.get(value, i));
            }
        } else if (value instanceof Collection<?> c) {
            raw.addAll(c);
        } else {
            raw.add(value);
        }
        List<String> out = new ArrayList<>();
        for (Object o : raw) {
            if (o != null) {
                for (String part : o.toString().split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.trim());
                    }
                }
            }
        }
        return out;
    }

    /**
     * Writes a list back in the shape it had: an array stays an array; a string, or a key that was absent,
     * becomes a comma-separated string (what a {@code .cfg} file holds). An empty list removes the key.
     */
    static void putStrings(Hashtable<String, Object> properties, String key, List<String> values) {
        Object old = properties.get(key);
        if (values.isEmpty()) {
            properties.remove(key);
        } else if (old != null && (old.getClass().isArray() || old instanceof Collection)) {
            properties.put(key, values.toArray(new String[0]));
        } else {
            properties.put(key, String.join(",", values));
        }
    }

    static String string(Object value) {
        List<String> all = strings(value);
        return all.isEmpty() ? null : all.get(0);
    }

    /** Where the runtime's key store is: {@code keystore.path}, or the generated one under Karaf's data folder. */
    static Path keystore(Hashtable<String, Object> properties) {
        String configured = string(properties.get(KEYSTORE_PATH));
        if (configured != null) {
            return Path.of(configured);
        }
        String data = System.getProperty("karaf.data");
        return data == null ? null : Path.of(data, "halibut", "halibut.p12");
    }

    /** The configurations of a factory PID, as property copies. */
    static List<Hashtable<String, Object>> factory(ConfigurationAdmin admin, String factoryPid) throws IOException {
        List<Hashtable<String, Object>> out = new ArrayList<>();
        try {
            Configuration[] found = admin.listConfigurations("(service.factoryPid=" + factoryPid + ")");
            if (found != null) {
                for (Configuration c : found) {
                    out.add(properties(c));
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        out.sort(java.util.Comparator.comparing(p -> String.valueOf(p.get("service.pid"))));
        return out;
    }
}
