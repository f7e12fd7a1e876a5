package dev.halibut.shell.internal;

import dev.halibut.runtime.HalibutRuntime;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.service.cm.ConfigurationAdmin;

/** {@code halibut:untrust}: removes a thumbprint from {@code trusted.thumbprints}; open connections of that peer are refused too. */
@Service
@Command(scope = "halibut", name = "untrust", description = "Stops trusting a certificate thumbprint: removes it from"
        + " trusted.thumbprints of PID dev.halibut.runtime; the running runtime refuses that peer at once, on new and"
        + " open connections.")
public class UntrustCommand implements Action {

    @Argument(index = 0, name = "thumbprint", required = true, description = "The thumbprint to stop trusting")
    @Completion(TrustedThumbprintCompleter.class)
    String thumbprint;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Override
    public Object execute() throws Exception {
        String tp = TrustedThumbprints.normalize(thumbprint);
        TrustedThumbprints trusted = TrustedThumbprints.load(configurationAdmin);
        if (!trusted.thumbprints.removeIf(t -> t.equalsIgnoreCase(tp))) {
            if (runtime != null && runtime.isTrusted(tp)) {
                // Trusted through the API, not the configuration: a configuration update would not touch it.
                runtime.removeTrust(tp);
                System.out.println(tp + " was not in the configuration; removed from the running runtime's trust list.");
            } else {
                // Nothing to do is not an error: the wanted state holds, so a script may untrust repeatedly.
                System.out.println(tp + " is not trusted.");
            }
            return null;
        }
        trusted.save();
        System.out.println("Removed " + tp + " from " + TrustedThumbprints.where() + " ("
                + trusted.thumbprints.size() + " thumbprint(s) left)");
        TrustedThumbprints.reportRuntime(runtime, r -> !r.isTrusted(tp), "The running runtime no longer trusts it.",
                "No runtime is running now.");
        return null;
    }
}
