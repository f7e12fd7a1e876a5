package dev.halibut.shell.internal;

import dev.halibut.runtime.ConnectionLogEntry;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * Completes thumbprints worth trusting: those of peers this runtime refused recently (from the warnings in
 * its connection logs) that it does not trust yet.
 */
@Service
public class RecentPeerCompleter extends CandidateCompleter {

    private static final Pattern THUMBPRINT = Pattern.compile("\\b[0-9A-Fa-f]{40}\\b");

    @Override
    void collect(Set<String> words) {
        if (runtime == null) {
            return;
        }
        for (String endpoint : runtime.connectionLogEndpoints()) {
            for (ConnectionLogEntry e : runtime.connectionLog(endpoint)) {
                if (e.level() != ConnectionLogEntry.Level.INFO) {
                    Matcher m = THUMBPRINT.matcher(e.message());
                    while (m.find()) {
                        String tp = m.group().toUpperCase(Locale.ROOT);
                        if (!runtime.isTrusted(tp) && !tp.equals(runtime.thumbprint())) {
                            words.add(tp);
                        }
                    }
                }
            }
        }
    }
}
