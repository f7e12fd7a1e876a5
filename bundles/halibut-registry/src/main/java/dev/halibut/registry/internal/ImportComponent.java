package dev.halibut.registry.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceNotFoundException;
import dev.halibut.runtime.ExportDescription;
import dev.halibut.runtime.HalibutRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One import (one configuration of factory PID {@code dev.halibut.import}): asks the endpoint what it exports
 * (its built-in {@code halibut.describe} service), selects one export, and registers a proxy for it under
 * its contract interfaces with its properties. The endpoint is asked again every keep-alive interval
 * ({@code polling.keep.alive} of the runtime) and at once when a call finds the service gone, so the proxy
 * follows the export: it goes when the export goes, comes back when it comes back, and its properties follow
 * the export's. The contracts come from whichever bundle exports their packages, which may resolve after this
 * activates or be refreshed while it runs; a bundle tracker registers the proxy once they are all there and
 * withdraws it when one goes. Changing the configuration makes DS deactivate this and activate a new one.
 */
@Component(configurationPid = ImportSettings.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = ImportConfiguration.class, factory = true)
public final class ImportComponent {
    private static final Logger LOG = LoggerFactory.getLogger(ImportComponent.class);
    static final String OSGI_BASIC_TIMEOUT = "osgi.basic.timeout";
    /** Proxy property naming the endpoint URI it calls, e.g. for a target filter. */
    static final String HALIBUT_ENDPOINT = "halibut.endpoint";

    /**
     * What to register: the selected export's interfaces, addresses and properties. {@code endpointId} is null for
     * an import registered without a description (the peer cannot describe itself, or could not be reached yet):
     * its configured interfaces at their plain wire names.
     */
    private record Target(String endpointId, List<String> interfaces, Map<String, String> addresses,
                          Map<String, Object> properties) {
    }

    private final BundleContext context;
    private final HalibutRuntime runtime;
    private final ImportSettings settings;
    private final Object pid;
    private final String what;
    private final BundleTracker<Bundle> tracker;
    private final ScheduledExecutorService refresher;
    private Target target;
    private ServiceRegistration<?> registration;
    private Target registered;
    private Set<Long> providers = Set.of();
    private String lastReport;
    private boolean closed;

    @Activate
    public ImportComponent(BundleContext context, @Reference HalibutRuntime runtime, Map<String, Object> properties) {
        this.context = context;
        this.runtime = runtime;
        this.settings = Configurations.parse(LOG, () -> ImportSettings.parse(properties));
        this.pid = properties.get("service.pid");
        this.what = "Import " + pid + " from " + settings.endpoint().baseUri();
        this.tracker = new BundleTracker<>(context, Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE,
                new BundleTrackerCustomizer<Bundle>() {
                    @Override
                    public Bundle addingBundle(Bundle bundle, BundleEvent event) {
                        if (event != null) { // null while open() walks the installed bundles
                            registerIfReady();
                        }
                        return bundle;
                    }

                    @Override
                    public void modifiedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                    }

                    @Override
                    public void removedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                        providerGone(bundle);
                    }
                });
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "halibut-import-" + pid);
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.refresher = executor;
        tracker.open();
        long every = refreshInterval(runtime.limits()).toMillis();
        refresher.scheduleWithFixedDelay(this::refresh, 0, every, TimeUnit.MILLISECONDS);
    }

    /** How often the endpoint is asked again: the keep-alive interval, the bound on how stale an import gets. */
    static Duration refreshInterval(HalibutLimits limits) {
        return limits.pollingKeepAlive();
    }

    @Deactivate
    void deactivate() {
        synchronized (this) {
            closed = true;
            // Unregister first: closing the tracker reports every bundle as removed, which is not news here.
            unregister("its configuration was removed or changed, or the runtime was replaced");
        }
        // A describe call in flight ends within its heartbeat-timeout bound; its outcome is then ignored.
        refresher.shutdownNow();
        tracker.close();
    }

    /** Asks the endpoint what it exports and follows the answer. Runs on the refresher thread only. */
    private void refresh() {
        ServiceEndPoint endpoint = settings.endpoint();
        HalibutLimits limits = endpoint.limitsOr(runtime.limits());
        try {
            // The answer is immediate: a peer not answering within a heartbeat is not going to.
            List<ExportDescription> exports = runtime.describe(endpoint.withLimits(
                    limits.withResponseTimeout(limits.heartbeatTimeout())));
            described(exports);
        } catch (ServiceNotFoundException e) {
            cannotDescribe("the peer does not describe its exports (an older Halibut): " + e.getMessage(), true);
        } catch (HalibutClientException e) {
            cannotDescribe("the endpoint cannot be asked what it exports: " + e.getMessage(), false);
        } catch (RuntimeException e) {
            LOG.error("{}: refreshing the import failed", what, e);
        }
    }

    private synchronized void described(List<ExportDescription> exports) {
        if (closed) {
            return;
        }
        ExportSelection.Choice choice = ExportSelection.select(exports, settings);
        if (choice.chosen() == null) {
            unregister(choice.problem());
            target = null;
            report(what + ": " + choice.problem());
            return;
        }
        ExportDescription chosen = choice.chosen();
        List<String> interfaces = settings.interfaces().isEmpty() ? chosen.interfaces() : settings.interfaces();
        Map<String, String> addresses = new LinkedHashMap<>();
        interfaces.forEach(i -> addresses.put(i, chosen.addresses().get(i)));
        target = new Target(chosen.endpointId(), interfaces, addresses, chosen.properties());
        // A proxy registered without a description calls the plain wire names, which reach the only export
        // of these interfaces: it is that export's proxy already, and only learns its properties.
        if (registration != null && registered != null && registered.interfaces().equals(target.interfaces())
                && (registered.endpointId() == null || registered.endpointId().equals(target.endpointId()))) {
            if (!sameProperties(registered.properties(), target.properties())) {
                registration.setProperties(proxyProperties(target));
                registered = new Target(target.endpointId(), target.interfaces(), registered.addresses(),
                        target.properties());
                LOG.info("{}: properties of export {} changed; the proxy's follow", what, target.endpointId());
            }
            return;
        }
        if (registration != null) {
            unregister("the endpoint now exports " + target.endpointId() + " instead");
        }
        registerIfReady();
    }

    /**
     * The endpoint could not describe itself. A registered proxy stays (calls will tell the caller what is wrong);
     * without one, configured interfaces are imported at their plain wire names, as before descriptions existed.
     */
    private synchronized void cannotDescribe(String why, boolean permanent) {
        if (closed || registration != null) {
            if (registration != null) {
                report(what + ": " + why + "; the proxy stays registered");
            }
            return;
        }
        if (settings.interfaces().isEmpty() || settings.endpointId() != null || settings.filter() != null) {
            report(what + ": " + why + (permanent ? "; configure '" + ImportSettings.INTERFACES
                    + "' (and no endpoint.id or filter) to import from it by wire name" : "; retrying every "
                    + refreshInterval(runtime.limits())));
            return;
        }
        Map<String, String> plain = new LinkedHashMap<>();
        settings.interfaces().forEach(i -> plain.put(i, null));
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put(ExportDescription.ENDPOINT_ID, settings.endpoint().baseUri().toString());
        properties.put("service.intents", ExportPlan.SUPPORTED_INTENTS.toArray(new String[0]));
        target = new Target(null, settings.interfaces(), plain, properties);
        report(what + ": " + why + "; importing " + settings.interfaces() + " by wire name without its properties");
        registerIfReady();
    }

    private synchronized void registerIfReady() {
        if (registration != null || target == null || closed) {
            return;
        }
        List<Class<?>> contracts = new ArrayList<>();
        Set<Long> from = new HashSet<>();
        for (String name : target.interfaces()) {
            ContractClasses.Found found;
            try {
                found = ContractClasses.find(context, name);
            } catch (IllegalArgumentException e) {
                report(what + " of " + target.interfaces() + " is not possible: " + e.getMessage()
                        + "; fix configuration " + pid);
                return;
            }
            if (found == null) {
                report(what + " of " + target.interfaces() + " waits for a bundle that exports package "
                        + name.substring(0, name.lastIndexOf('.')));
                return;
            }
            contracts.add(found.type());
            from.add(found.bundle().getBundleId());
        }
        Target t = target;
        ServiceEndPoint endpoint = endpointFor(t.properties());
        String description = "Halibut import of " + t.interfaces() + " from " + endpoint.baseUri()
                + (t.endpointId() == null ? "" : " (endpoint.id " + t.endpointId() + ")");
        Object proxy = ImportedProxy.create(contracts, c -> client(c, endpoint, t.addresses().get(c.getName())),
                description, this::refreshSoon);
        providers = from;
        lastReport = null;
        // Logged first: registering runs consumers' bind methods, which log what they do with it.
        LOG.info("Importing {} from {} (thumbprint {}, endpoint.id {})", t.interfaces(), endpoint.baseUri(),
                endpoint.remoteThumbprint(), t.endpointId() == null ? "unknown" : t.endpointId());
        registered = t;
        registration = context.registerService(t.interfaces().toArray(new String[0]), proxy, proxyProperties(t));
    }

    /** The endpoint, with the export's {@code osgi.basic.timeout} (milliseconds) as its response timeout. */
    private ServiceEndPoint endpointFor(Map<String, Object> properties) {
        ServiceEndPoint endpoint = settings.endpoint();
        if (properties.get(OSGI_BASIC_TIMEOUT) instanceof Number n && n.longValue() > 0) {
            HalibutLimits limits = endpoint.limitsOr(runtime.limits());
            return endpoint.withLimits(limits.withResponseTimeout(Duration.ofMillis(n.longValue())));
        }
        return endpoint;
    }

    private Hashtable<String, Object> proxyProperties(Target t) {
        Hashtable<String, Object> props = new Hashtable<>();
        t.properties().forEach((k, v) -> {
            if (!k.equals("objectClass")) {
                props.put(k, v);
            }
        });
        props.putAll(settings.extraProperties());
        props.put(HALIBUT_ENDPOINT, settings.endpoint().baseUri().toString());
        props.put("service.imported", Boolean.TRUE);
        props.put("service.imported.configs", new String[] {ExportPlan.CONFIG_TYPE});
        return props;
    }

    private void refreshSoon() {
        try {
            refresher.execute(this::refresh);
        } catch (RejectedExecutionException closing) {
            // deactivated meanwhile: nothing to follow any more
        }
    }

    private synchronized void providerGone(Bundle bundle) {
        if (registration != null && providers.contains(bundle.getBundleId())) {
            unregister("bundle " + bundle.getSymbolicName() + " that provides its contract stopped resolving");
        }
    }

    private void unregister(String why) {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // Our bundle is stopping and the framework has unregistered it already.
            }
            LOG.info("{}: proxy for {} unregistered: {}", what, registered.interfaces(), why);
            registration = null;
            registered = null;
            providers = Set.of();
        }
    }

    /** Logs a reason once, not on every refresh or bundle event that does not change it. */
    private void report(String message) {
        if (!message.equals(lastReport)) {
            LOG.warn(message);
            lastReport = message;
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T client(Class<?> contract, ServiceEndPoint endpoint, String address) {
        return address == null ? runtime.createClient((Class<T>) contract, endpoint)
                : runtime.createClient((Class<T>) contract, endpoint, address);
    }

    private static boolean sameProperties(Map<String, Object> a, Map<String, Object> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : a.entrySet()) {
            if (!Objects.deepEquals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
