package dev.halibut.shell.internal;

import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.HalibutRuntime;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.service.cm.ConfigurationAdmin;

/** {@code halibut:trust}: adds a thumbprint to {@code trusted.thumbprints}; the runtime applies it at once. */
@Service
@Command(scope = "halibut", name = "trust", description = "Trusts a peer's certificate thumbprint: adds it to"
        + " trusted.thumbprints of PID dev.halibut.runtime (so it survives restarts); the running runtime applies it"
        + " at once.")
public class TrustCommand implements Action {

    @Argument(index = 0, name = "thumbprint", required = true,
            description = "The peer's SHA-1 certificate thumbprint, 40 hex characters (as halibut:status shows it on the peer)")
    @Completion(RecentPeerCompleter.class)
    String thumbprint;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Override
    public Object execute() throws Exception {
        String tp = TrustedThumbprints.normalize(thumbprint);
        TrustedThumbprints trusted = TrustedThumbprints.load(configurationAdmin);
        if (trusted.contains(tp)) {
            System.out.println(tp + " is trusted already (" + trusted.thumbprints.size() + " thumbprint(s) in "
                    + HalibutConfig.TRUSTED_THUMBPRINTS + ")");
            return null;
        }
        trusted.thumbprints.add(tp);
        trusted.save();
        System.out.println("Trusted " + tp + ": added to " + TrustedThumbprints.where() + " ("
                + trusted.thumbprints.size() + " thumbprint(s))");
        TrustedThumbprints.reportRuntime(runtime, r -> r.isTrusted(tp), "The running runtime trusts it now.",
                "No runtime is running now; it will trust it when it starts.");
        return null;
    }
}
