package dev.halibut.shell.internal;

import java.util.Hashtable;
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

/** Completes the thumbprints of the peers named in import and polling configurations. */
@Service
public class PeerThumbprintCompleter implements Completer {

    @Reference(optional = true)
    ConfigurationAdmin configurationAdmin;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        TreeSet<String> thumbprints = new TreeSet<>();
        if (configurationAdmin != null) {
            try {
                for (String pid : List.of(RuntimeConfig.IMPORT_FACTORY_PID, RuntimeConfig.POLL_FACTORY_PID)) {
                    for (Hashtable<String, Object> p : RuntimeConfig.factory(configurationAdmin, pid)) {
                        String tp = RuntimeConfig.string(p.get("thumbprint"));
                        if (tp != null) {
                            thumbprints.add(tp.toUpperCase(Locale.ROOT));
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // nothing to offer
            }
        }
        return new StringsCompleter(thumbprints).complete(session, commandLine, candidates);
    }
}
