package dev.halibut.shell.internal;

import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.util.Hashtable;
import java.util.List;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.osgi.service.cm.ConfigurationAdmin;

/** Completes endpoints: those with a connection log, those with connections now, and configured imports and polls. */
@Service
public class EndpointCompleter implements Completer {

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Reference(optional = true)
    ConfigurationAdmin configurationAdmin;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        TreeSet<String> endpoints = new TreeSet<>();
        if (runtime != null) {
            endpoints.addAll(runtime.connectionLogEndpoints());
            RuntimeStatus status = runtime.status();
            status.outbound().forEach(o -> endpoints.add(o.endpoint()));
            status.inbound().forEach(i -> endpoints.add(i.endpoint()));
            status.pending().forEach(p -> endpoints.add(p.subscription()));
        }
        if (configurationAdmin != null) {
            try {
                for (Hashtable<String, Object> p : RuntimeConfig.factory(configurationAdmin, RuntimeConfig.IMPORT_FACTORY_PID)) {
                    String e = RuntimeConfig.string(p.get("endpoint"));
                    if (e != null) {
                        endpoints.add(Text.endpoint(e));
                    }
                }
                for (Hashtable<String, Object> p : RuntimeConfig.factory(configurationAdmin, RuntimeConfig.POLL_FACTORY_PID)) {
                    String s = RuntimeConfig.string(p.get("subscription"));
                    if (s != null) {
                        endpoints.add(Text.endpoint(s));
                    }
                }
            } catch (java.io.IOException e) {
                // complete from what the runtime knows
            }
        }
        return new StringsCompleter(endpoints).complete(session, commandLine, candidates);
    }
}
