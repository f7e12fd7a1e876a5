package dev.halibut.shell.internal;

import dev.halibut.registry.HalibutCallsMXBean;
import dev.halibut.registry.HalibutRemoteServices;
import dev.halibut.registry.config.ConfigValues;
import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.registry.distribution.DiscoveredEndpoints;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/** {@code halibut:status}: the runtime at a glance. */
@Service
@Command(scope = "halibut", name = "status", description = "Shows the Halibut runtime: thumbprint, listening ports,"
        + " exported services, imports, polling subscriptions and their connection state, connection and call counts.")
public class StatusCommand implements Action {

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Reference(optional = true)
    HalibutRemoteServices exports;

    /** Present with feature halibut-rsa: endpoints discovery found whose thumbprint is not trusted. */
    @Reference(optional = true)
    DiscoveredEndpoints discovered;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference
    BundleContext bundleContext;

    @Override
    public Object execute() throws Exception {
        if (runtime == null) {
            System.out.println("No Halibut runtime is running. Check etc/" + HalibutConfig.RUNTIME_PID
                    + ".cfg and data/log/karaf.log for the reason.");
            return null;
        }
        RuntimeStatus status = runtime.status();
        System.out.println("Halibut runtime");
        System.out.println("  Thumbprint   " + status.thumbprint());
        System.out.println("  Certificate  " + runtime.certificate().getSubjectX500Principal().getName() + ", valid until "
                + runtime.certificate().getNotAfter().toInstant());
        System.out.println("  Listening    " + (status.listening().isEmpty() ? "no (polling only)"
                : status.listening().stream().map(Text::address).collect(Collectors.joining(", "))));
        System.out.println("  Trusted      " + status.trusted().size() + " thumbprint(s) (halibut:trusted)");
        System.out.println("  Connections  " + sum(status.outbound(), true) + " outbound idle, " + sum(status.outbound(), false)
                + " outbound in use, " + inbound(status) + " (halibut:connections)");
        System.out.println("  Queued       " + status.pending().stream().mapToInt(RuntimeStatus.PendingRequests::count).sum()
                + " request(s) waiting for polling service hosts (halibut:queue)");
        calls("outgoing", "Calls made  ");
        calls("incoming", "Calls served");

        System.out.println();
        ShellTable exported = Tables.withColumns(Tables.NONE, "Service", "Interface", "OSGi service", "Bundle");
        if (exports != null) {
            for (HalibutRemoteServices.ExportedService e : exports.exportedServices()) {
                exported.addRow().addContent(e.serviceName(), e.interfaceName(), e.serviceId(), e.bundleSymbolicName());
            }
        }
        Tables.printTitled("Exported services", exported);

        System.out.println();
        ShellTable imports = Tables.withColumns(Tables.NONE, "Endpoint", "Thumbprint", "Interfaces", "Route", "State");
        for (Hashtable<String, Object> p : RuntimeConfig.factory(configurationAdmin, HalibutConfig.IMPORT_FACTORY_PID)) {
            String endpoint = RuntimeConfig.first(p.get(HalibutConfig.ENDPOINT));
            String thumbprint = RuntimeConfig.first(p.get(HalibutConfig.THUMBPRINT));
            List<String> interfaces = ConfigValues.list(p.get(HalibutConfig.INTERFACES));
            imports.addRow().addContent(endpoint, thumbprint, String.join(", ", interfaces), route(endpoint, thumbprint),
                    registered(endpoint, interfaces) ? "registered" : "not registered (see karaf.log)");
        }
        Tables.printTitled("Imports", imports);

        if (discovered != null) {
            System.out.println();
            ShellTable held = Tables.withColumns(Tables.NONE, "Endpoint id", "Thumbprint", "Interfaces");
            for (DiscoveredEndpoints.Untrusted u : discovered.discoveredNotTrusted()) {
                held.addRow().addContent(u.endpointId(), u.thumbprint(), String.join(", ", u.interfaces()));
            }
            Tables.printTitled("Discovered, not trusted (halibut:trust <thumbprint> imports them)", held);
        }

        System.out.println();
        ShellTable polling = Tables.withColumns(Tables.NONE, "Subscription", "Listener", "Listener thumbprint", "Route",
                "Connected");
        for (RuntimeStatus.Subscription s : status.subscriptions()) {
            polling.addRow().addContent(s.subscription(), s.listener(), s.listenerThumbprint(), s.route(),
                    s.connected() + "/" + s.connections());
        }
        Tables.printTitled("Polling subscriptions (this runtime polls)", polling);
        return null;
    }

    /** How calls to an import's endpoint travel ({@link HalibutRuntime#route}); "?" for an unusable configuration. */
    private String route(String endpoint, String thumbprint) {
        try {
            return runtime.route(new dev.halibut.ServiceEndPoint(java.net.URI.create(endpoint.trim()), thumbprint));
        } catch (RuntimeException e) {
            return "? (see karaf.log)"; // the import itself reports what is wrong with it
        }
    }

    /** "3 inbound", or with connections upgraded to WebSockets "3 inbound (1 over wss)". */
    static String inbound(RuntimeStatus status) {
        int all = status.inbound().stream().mapToInt(RuntimeStatus.InboundConnections::open).sum();
        int wss = status.inbound().stream().filter(i -> RuntimeStatus.WSS.equals(i.route()))
                .mapToInt(RuntimeStatus.InboundConnections::open).sum();
        return all + " inbound" + (wss == 0 ? "" : " (" + wss + " over " + RuntimeStatus.WSS + ")");
    }

    private static int sum(List<RuntimeStatus.OutboundConnections> outbound, boolean idle) {
        return outbound.stream().mapToInt(o -> idle ? o.idle() : o.inUse()).sum();
    }

    private void calls(String direction, String label) throws InvalidSyntaxException {
        var refs = bundleContext.getServiceReferences(HalibutCallsMXBean.class,
                "(" + HalibutCallsMXBean.DIRECTION_PROPERTY + "=" + direction + ")");
        for (ServiceReference<HalibutCallsMXBean> ref : refs) {
            HalibutCallsMXBean calls = bundleContext.getService(ref);
            if (calls != null) {
                try {
                    System.out.println("  " + label + " " + calls.getCalls() + " (" + calls.getFailures() + " failed"
                            + (calls.getFailuresByKind().isEmpty() ? "" : ": " + calls.getFailuresByKind()) + ")");
                } finally {
                    bundleContext.ungetService(ref);
                }
                return;
            }
        }
    }

    /** Whether a proxy for this import is registered (the registry registers it once the contracts resolve). */
    private boolean registered(String endpoint, List<String> interfaces) throws InvalidSyntaxException {
        if (endpoint == null) {
            return false;
        }
        // interfaces may be empty: the import then takes those of the export it selects.
        ServiceReference<?>[] refs = bundleContext.getAllServiceReferences(interfaces.isEmpty() ? null : interfaces.get(0),
                "(&(service.imported=true)(service.imported.configs=" + HalibutConfig.CONFIG_TYPE + "))");
        if (refs == null) {
            return false;
        }
        // The proxy names its endpoint URI in halibut.endpoint (endpoint.id is the remote export's id).
        return Arrays.stream(refs).anyMatch(r -> Text.endpoint(endpoint).equals(Text.endpoint(String.valueOf(r.getProperty("halibut.endpoint"))))
                && Arrays.asList((String[]) r.getProperty("objectClass")).containsAll(interfaces));
    }
}
