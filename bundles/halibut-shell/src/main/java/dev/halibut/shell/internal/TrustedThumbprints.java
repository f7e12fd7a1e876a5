package dev.halibut.shell.internal;

import dev.halibut.Thumbprints;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code trusted.thumbprints} of PID {@code dev.halibut.runtime}, read once, changed by a command and
 * written back in one configuration update (the registry applies a trust-only update to the running
 * runtime at once).
 */
final class TrustedThumbprints {
    private final Configuration configuration;
    private final Hashtable<String, Object> properties;
    final List<String> thumbprints;

    private TrustedThumbprints(Configuration configuration) {
        this.configuration = configuration;
        this.properties = RuntimeConfig.properties(configuration);
        this.thumbprints = new ArrayList<>(RuntimeConfig.strings(properties.get(RuntimeConfig.TRUSTED)));
    }

    static TrustedThumbprints load(ConfigurationAdmin admin) throws IOException {
        return new TrustedThumbprints(RuntimeConfig.runtime(admin));
    }

    boolean contains(String thumbprint) {
        return thumbprints.stream().anyMatch(t -> t.equalsIgnoreCase(thumbprint));
    }

    void save() throws IOException {
        RuntimeConfig.putStrings(properties, RuntimeConfig.TRUSTED, thumbprints);
        configuration.update(properties);
    }

    /** The canonical form of a thumbprint typed by the operator, or null after telling them it is not one. */
    static String normalizeOrReport(String typed) {
        try {
            return Thumbprints.normalize(typed);
        } catch (IllegalArgumentException e) {
            System.err.println("Not a thumbprint: " + e.getMessage());
            return null;
        }
    }
}
