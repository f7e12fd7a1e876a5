package dev.halibut.shell.internal;

import dev.halibut.Thumbprints;
import dev.halibut.registry.config.ConfigValues;
import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Predicate;
import org.apache.karaf.shell.support.CommandException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * What {@code halibut:trust} and {@code halibut:untrust} share: {@code trusted.thumbprints} of PID
 * {@code dev.halibut.runtime}, read once, changed by the command and written back in one configuration
 * update (the registry applies a trust-only update to the running runtime at once), and the report of
 * whether the running runtime applied it.
 */
final class TrustedThumbprints {
    private final Configuration configuration;
    private final Hashtable<String, Object> properties;
    final List<String> thumbprints;

    private TrustedThumbprints(Configuration configuration) {
        this.configuration = configuration;
        this.properties = RuntimeConfig.properties(configuration);
        this.thumbprints = new ArrayList<>(ConfigValues.list(properties.get(HalibutConfig.TRUSTED_THUMBPRINTS)));
    }

    static TrustedThumbprints load(ConfigurationAdmin admin) throws IOException {
        return new TrustedThumbprints(RuntimeConfig.runtime(admin));
    }

    boolean contains(String thumbprint) {
        return thumbprints.stream().anyMatch(t -> t.equalsIgnoreCase(thumbprint));
    }

    void save() throws IOException {
        ConfigValues.putList(properties, HalibutConfig.TRUSTED_THUMBPRINTS, thumbprints);
        configuration.update(properties);
    }

    /** Where the change went, for the command's first line: {@code trusted.thumbprints of dev.halibut.runtime}. */
    static String where() {
        return HalibutConfig.TRUSTED_THUMBPRINTS + " of " + HalibutConfig.RUNTIME_PID;
    }

    /**
     * The canonical form of a thumbprint typed by the operator.
     *
     * @throws CommandException when it is not one; the shell prints the message and a script's run fails
     */
    static String normalize(String typed) throws CommandException {
        try {
            return Thumbprints.normalize(typed);
        } catch (IllegalArgumentException e) {
            throw new CommandException(e.getMessage(), e); // names what was typed and what a thumbprint is
        }
    }

    /**
     * Says whether the running runtime has applied a saved change (Config Admin delivers it asynchronously):
     * waits, bounded, for {@code applied}.
     */
    static void reportRuntime(HalibutRuntime runtime, Predicate<HalibutRuntime> applied, String whenApplied,
            String whenNoRuntime) throws InterruptedException {
        if (runtime == null) {
            System.out.println(whenNoRuntime);
        } else if (Waits.until(() -> applied.test(runtime))) {
            System.out.println(whenApplied);
        } else {
            System.out.println("The running runtime has not applied it yet; check data/log/karaf.log.");
        }
    }
}
