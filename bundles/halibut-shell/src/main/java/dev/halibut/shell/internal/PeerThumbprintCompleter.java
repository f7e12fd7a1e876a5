package dev.halibut.shell.internal;

import dev.halibut.registry.config.HalibutConfig;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** Completes the thumbprints of the peers named in import and polling configurations. */
@Service
public class PeerThumbprintCompleter extends CandidateCompleter {

    @Override
    void collect(Set<String> words) throws IOException {
        if (configurationAdmin == null) {
            return;
        }
        for (String pid : List.of(HalibutConfig.IMPORT_FACTORY_PID, HalibutConfig.POLL_FACTORY_PID)) {
            for (String tp : RuntimeConfig.factoryValues(configurationAdmin, pid, HalibutConfig.THUMBPRINT)) {
                words.add(tp.toUpperCase(Locale.ROOT));
            }
        }
    }
}
