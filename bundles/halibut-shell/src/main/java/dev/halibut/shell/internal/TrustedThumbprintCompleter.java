package dev.halibut.shell.internal;

import dev.halibut.runtime.HalibutRuntime;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.osgi.service.cm.ConfigurationAdmin;

/** Completes the thumbprints trusted now, configured or live. */
@Service
public class TrustedThumbprintCompleter implements Completer {

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Reference(optional = true)
    ConfigurationAdmin configurationAdmin;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        TreeSet<String> thumbprints = new TreeSet<>();
        if (runtime != null) {
            thumbprints.addAll(runtime.trustedThumbprints());
        }
        if (configurationAdmin != null) {
            try {
                RuntimeConfig.strings(RuntimeConfig.properties(RuntimeConfig.runtime(configurationAdmin))
                        .get(RuntimeConfig.TRUSTED)).forEach(t -> thumbprints.add(t.toUpperCase(Locale.ROOT)));
            } catch (java.io.IOException e) {
                // complete from the runtime
            }
        }
        return new StringsCompleter(thumbprints).complete(session, commandLine, candidates);
    }
}
