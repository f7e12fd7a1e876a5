package dev.halibut.shell.internal;

import java.io.IOException;
import java.util.Set;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** Completes the thumbprints trusted now, configured or live. */
@Service
public class TrustedThumbprintCompleter extends CandidateCompleter {

    @Override
    void collect(Set<String> words) throws IOException {
        if (runtime != null) {
            words.addAll(runtime.trustedThumbprints());
        }
        if (configurationAdmin != null) {
            words.addAll(RuntimeConfig.configuredTrust(configurationAdmin));
        }
    }
}
