package dev.halibut.shell.internal;

import dev.halibut.registry.config.ConfigValues;
import dev.halibut.registry.config.HalibutConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The Config Admin side of the commands: finding the configurations the registry reads (PIDs, keys and list
 * format come from {@link HalibutConfig} and {@link ConfigValues}, the registry's schema). Commands change the
 * configuration, not only the live runtime, so a change survives restarts (Karaf writes it back to
 * {@code etc/dev.halibut.runtime.cfg} when the configuration came from there).
 */
final class RuntimeConfig {

    /** Any bundle may receive a configuration created here: the registry, not this bundle, consumes it. */
    private static final String ANY_LOCATION = "?";

    private RuntimeConfig() {
    }

    /** The runtime's configuration; created (empty) if there is none yet. */
    static Configuration runtime(ConfigurationAdmin admin) throws IOException {
        try {
            Configuration[] found = admin.listConfigurations("(service.pid=" + HalibutConfig.RUNTIME_PID + ")");
            if (found != null && found.length > 0) {
                return found[0];
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return admin.getConfiguration(HalibutConfig.RUNTIME_PID, ANY_LOCATION);
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

    /** The thumbprints in {@code trusted.thumbprints}, upper-cased as the runtime shows them. */
    static List<String> configuredTrust(ConfigurationAdmin admin) throws IOException {
        return ConfigValues.list(properties(runtime(admin)).get(HalibutConfig.TRUSTED_THUMBPRINTS)).stream()
                .map(t -> t.toUpperCase(Locale.ROOT)).toList();
    }

    /** The configurations of a factory PID, as property copies, in PID order. */
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
        out.sort(Comparator.comparing(p -> String.valueOf(p.get("service.pid"))));
        return out;
    }

    /** The value of {@code key} in each configuration of a factory PID that has one. */
    static List<String> factoryValues(ConfigurationAdmin admin, String factoryPid, String key) throws IOException {
        List<String> out = new ArrayList<>();
        for (Hashtable<String, Object> p : factory(admin, factoryPid)) {
            String value = first(p.get(key));
            if (value != null) {
                out.add(value);
            }
        }
        return out;
    }

    /** The first entry of a value read as a list (a single value is its only entry); null when empty. */
    static String first(Object value) {
        List<String> all = ConfigValues.list(value);
        return all.isEmpty() ? null : all.get(0);
    }
}
