package dev.halibut.shell.internal;

import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.util.List;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.service.cm.ConfigurationAdmin;

/** {@code halibut:trusted}: the trusted thumbprints, where each comes from, and who is connected now. */
@Service
@Command(scope = "halibut", name = "trusted", description = "Lists the trusted certificate thumbprints: whether each is"
        + " in the configuration (trusted.thumbprints) and trusted by the running runtime, and its open inbound connections.")
public class TrustedCommand implements Action {

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Override
    public Object execute() throws Exception {
        List<String> configured = RuntimeConfig.configuredTrust(configurationAdmin);
        TreeSet<String> all = new TreeSet<>(configured);
        RuntimeStatus status = runtime == null ? null : runtime.status();
        if (status != null) {
            all.addAll(status.trusted());
        }
        ShellTable table = Tables.withColumns("(none: no peer may connect to this runtime)", "Thumbprint", "Configured",
                "Running runtime", "Inbound connections");
        for (String tp : all) {
            int open = status == null ? 0 : status.inbound().stream().filter(i -> i.remoteThumbprint().equals(tp))
                    .mapToInt(RuntimeStatus.InboundConnections::open).sum();
            table.addRow().addContent(tp, configured.contains(tp) ? "yes" : "no",
                    status == null ? "(not running)" : status.trusted().contains(tp) ? "trusted" : "not yet", open);
        }
        table.print(System.out);
        return null;
    }
}
