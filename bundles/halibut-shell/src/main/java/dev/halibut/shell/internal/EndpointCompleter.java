package dev.halibut.shell.internal;

import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.RuntimeStatus;
import java.io.IOException;
import java.util.Set;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** Completes endpoints: those with a connection log, those with connections now, and configured imports and polls. */
@Service
public class EndpointCompleter extends CandidateCompleter {

    @Override
    void collect(Set<String> words) throws IOException {
        if (runtime != null) {
            words.addAll(runtime.connectionLogEndpoints());
            RuntimeStatus status = runtime.status();
            status.outbound().forEach(o -> words.add(o.endpoint()));
            status.inbound().forEach(i -> words.add(i.endpoint()));
            status.pending().forEach(p -> words.add(p.subscription()));
        }
        if (configurationAdmin != null) {
            RuntimeConfig.factoryValues(configurationAdmin, HalibutConfig.IMPORT_FACTORY_PID, HalibutConfig.ENDPOINT)
                    .forEach(e -> words.add(Text.endpoint(e)));
            RuntimeConfig.factoryValues(configurationAdmin, HalibutConfig.POLL_FACTORY_PID, HalibutConfig.SUBSCRIPTION)
                    .forEach(s -> words.add(Text.endpoint(s)));
        }
    }
}
