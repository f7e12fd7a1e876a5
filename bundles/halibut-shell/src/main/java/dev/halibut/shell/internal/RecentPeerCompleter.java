package dev.halibut.shell.internal;

import dev.halibut.runtime.ConnectionLogEntry;
import dev.halibut.runtime.HalibutRuntime;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/**
 * Completes thumbprints worth trusting: those of peers this runtime refused recently (from the warnings in
 * its connection logs) that it does not trust yet.
 */
@Service
public class RecentPeerCompleter implements Completer {

    private static final Pattern THUMBPRINT = Pattern.compile("\\b[0-9A-Fa-f]{40}\\b");

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        TreeSet<String> thumbprints = new TreeSet<>();
        if (runtime != null) {
            for (String endpoint : runtime.connectionLogEndpoints()) {
                for (ConnectionLogEntry e : runtime.connectionLog(endpoint)) {
                    if (e.level() != ConnectionLogEntry.Level.INFO) {
                        Matcher m = THUMBPRINT.matcher(e.message());
                        while (m.find()) {
                            String tp = m.group().toUpperCase(Locale.ROOT);
                            if (!runtime.isTrusted(tp) && !tp.equals(runtime.thumbprint())) {
                                thumbprints.add(tp);
                            }
                        }
                    }
                }
            }
        }
        return new StringsCompleter(thumbprints).complete(session, commandLine, candidates);
    }
}
