package dev.halibut.shell.internal;

import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * What the halibut completers share: candidates gathered into a sorted set from the running runtime and
 * Config Admin, either of which may be absent (no runtime yet, Config Admin restarting); Tab offers what
 * is there rather than nothing. A subclass says only where its candidates come from.
 */
abstract class CandidateCompleter implements Completer {

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Reference(optional = true)
    ConfigurationAdmin configurationAdmin;

    @Override
    public final int complete(Session session, CommandLine commandLine, List<String> candidates) {
        Set<String> words = new TreeSet<>();
        try {
            collect(words);
        } catch (IOException e) {
            // Config Admin could not be read: offer what was gathered before it
        }
        return new StringsCompleter(words).complete(session, commandLine, candidates);
    }

    /** Adds the candidates to {@code words}; {@link #runtime} and {@link #configurationAdmin} may be null. */
    abstract void collect(Set<String> words) throws IOException;
}
