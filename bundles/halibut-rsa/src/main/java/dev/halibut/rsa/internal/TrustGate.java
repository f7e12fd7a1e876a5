package dev.halibut.rsa.internal;

import dev.halibut.registry.distribution.DiscoveredEndpoints;
import dev.halibut.runtime.HalibutRuntime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.hooks.service.ListenerHook;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.remoteserviceadmin.EndpointEvent;
import org.osgi.service.remoteserviceadmin.EndpointEventListener;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the trust rule between discovery and the Aries topology manager: discovery finds endpoints, it never
 * grants trust. The topology manager's endpoint listeners (the ones through which discovery tells it what
 * to import) are hidden, by service hooks, from every bundle but the topology manager and this one; for each,
 * this registers a relay with the same {@code endpoint.listener.scope}, which passes on what {@link HeldEndpoints}
 * lets through (trusted exporters; for a {@code poll://} endpoint, only if this runtime is the listener it polls).
 * Trust is checked again every {@link #RECHECK_MILLIS} ms, so trusting a thumbprint imports its
 * held endpoints within that time (the runtime has no trust-change event). What is held is served as
 * {@link DiscoveredEndpoints}.
 *
 * <p>The hooks must be in place before discovery sees a topology manager listener: the halibut-rsa feature
 * starts this bundle first (start level). If a listener exists already when this activates, discovery may hold
 * it unfiltered, so the topology manager bundle is restarted once (transiently) to register it again.
 */
@Component(immediate = true, service = DiscoveredEndpoints.class)
public final class TrustGate implements DiscoveredEndpoints {
    /** The Aries topology manager: its endpoint listeners are the ones gated. */
    static final String TOPOLOGY_MANAGER = "org.apache.aries.rsa.topology-manager";
    static final long RECHECK_MILLIS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(TrustGate.class);
    private static final String LISTENERS = "(|(objectClass=" + EndpointEventListener.class.getName()
            + ")(objectClass=org.osgi.service.remoteserviceadmin.EndpointListener))";

    private final BundleContext context;
    private final List<ServiceRegistration<?>> hooks = new ArrayList<>();
    private final ServiceTracker<Object, Relay> tracker;
    private final ScheduledExecutorService rechecks;
    private volatile HalibutRuntime runtime;

    @Activate
    public TrustGate(BundleContext context) throws InvalidSyntaxException {
        this.context = context;
        Hiding hiding = new Hiding(context.getBundle().getBundleId());
        hooks.add(context.registerService(new String[] {FindHook.class.getName(), EventListenerHook.class.getName()},
                hiding, null));
        this.rechecks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "halibut-rsa-trust-recheck");
            t.setDaemon(true);
            return t;
        });
        this.tracker = new ServiceTracker<>(context, context.createFilter(LISTENERS), new Relays());
        tracker.open(true);
        if (!tracker.isEmpty()) {
            rechecks.execute(this::restartTopologyManager);
        }
        rechecks.scheduleWithFixedDelay(this::recheck, RECHECK_MILLIS, RECHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setRuntime(HalibutRuntime runtime) {
        this.runtime = runtime;
    }

    void unsetRuntime(HalibutRuntime gone) {
        if (this.runtime == gone) {
            this.runtime = null;
        }
    }

    @Deactivate
    void deactivate() {
        rechecks.shutdownNow();
        tracker.close();
        for (ServiceRegistration<?> r : hooks) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // this bundle is stopping: the framework has unregistered it
            }
        }
    }

    @Override
    public List<Untrusted> discoveredNotTrusted() {
        Map<String, Untrusted> out = new LinkedHashMap<>();
        for (Relay relay : tracker.getTracked().values()) {
            relay.held.held().forEach(u -> out.putIfAbsent(u.endpointId(), u));
        }
        List<Untrusted> list = new ArrayList<>(out.values());
        list.sort(Comparator.comparing(Untrusted::endpointId));
        return list;
    }

    /**
     * What this framework's runtime does with a description now: trusted means trusted by it, and a poll://
     * endpoint is its business only if it is the listener polled; without a runtime nothing is imported.
     */
    private Function<Map<String, ?>, HalibutEndpoints.Verdict> rule() {
        HalibutRuntime r = runtime;
        if (r == null) {
            return description -> HalibutEndpoints.Verdict.UNTRUSTED;
        }
        String self = r.thumbprint();
        return description -> HalibutEndpoints.verdict(description, self, r::isTrusted);
    }

    private void recheck() {
        try {
            Function<Map<String, ?>, HalibutEndpoints.Verdict> rule = rule();
            tracker.getTracked().values().forEach(relay -> relay.held.recheck(rule));
        } catch (RuntimeException e) {
            LOG.error("Checking the trust of discovered endpoints failed; retrying in {} ms", RECHECK_MILLIS, e);
        }
    }

    private void restartTopologyManager() {
        for (Bundle b : context.getBundles()) {
            if (TOPOLOGY_MANAGER.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                LOG.info("Restarting {} once so that discovery sees its endpoint listener only through the Halibut "
                        + "trust gate (it started before bundle {})", TOPOLOGY_MANAGER, context.getBundle().getSymbolicName());
                try {
                    b.stop(Bundle.STOP_TRANSIENT);
                    b.start(Bundle.START_TRANSIENT);
                } catch (BundleException | IllegalStateException e) {
                    LOG.error("Restarting {} failed: {}. Discovered endpoints may reach it without the trust check; "
                            + "restart it by hand (bundle:restart {})", TOPOLOGY_MANAGER, e.getMessage(), b.getBundleId());
                }
            }
        }
    }

    static boolean isTopologyManagerListener(ServiceReference<?> ref) {
        Bundle owner = ref.getBundle();
        if (owner == null || !TOPOLOGY_MANAGER.equals(owner.getSymbolicName())) {
            return false;
        }
        Object classes = ref.getProperty("objectClass");
        if (classes instanceof String[] names) {
            for (String n : names) {
                if (n.equals(EndpointEventListener.class.getName())
                        || n.equals("org.osgi.service.remoteserviceadmin.EndpointListener")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A relay for one topology manager listener: registered by this bundle with the listener's scope. */
    private final class Relay implements EndpointEventListener {
        final HeldEndpoints held;
        ServiceRegistration<EndpointEventListener> registration;

        Relay(EndpointEventListener target) {
            this.held = new HeldEndpoints(target);
        }

        @Override
        public void endpointChanged(EndpointEvent event, String filter) {
            held.endpointChanged(event, filter, rule());
        }
    }

    private final class Relays implements ServiceTrackerCustomizer<Object, Relay> {
        @Override
        public Relay addingService(ServiceReference<Object> ref) {
            if (!isTopologyManagerListener(ref)) {
                return null;
            }
            Object service = context.getService(ref);
            if (!(service instanceof EndpointEventListener target)) {
                if (service != null) {
                    context.ungetService(ref);
                }
                return null;
            }
            Relay relay = new Relay(target);
            relay.registration = context.registerService(EndpointEventListener.class, relay, scopeOf(ref));
            return relay;
        }

        @Override
        public void modifiedService(ServiceReference<Object> ref, Relay relay) {
            relay.registration.setProperties(scopeOf(ref));
        }

        @Override
        public void removedService(ServiceReference<Object> ref, Relay relay) {
            try {
                relay.registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // this bundle is stopping
            }
            context.ungetService(ref);
        }

        private Hashtable<String, Object> scopeOf(ServiceReference<Object> ref) {
            Hashtable<String, Object> props = new Hashtable<>();
            Object scope = ref.getProperty(EndpointEventListener.ENDPOINT_LISTENER_SCOPE);
            if (scope != null) {
                props.put(EndpointEventListener.ENDPOINT_LISTENER_SCOPE, scope);
            }
            return props;
        }
    }

    /** Hides the topology manager's endpoint listeners from all but itself, this bundle and the framework. */
    private static final class Hiding implements FindHook, EventListenerHook {
        private final long self;

        Hiding(long self) {
            this.self = self;
        }

        private boolean sees(BundleContext viewer, ServiceReference<?> ref) {
            Bundle b;
            try {
                b = viewer.getBundle();
            } catch (IllegalStateException stale) {
                return false;
            }
            Bundle owner = ref.getBundle();
            return b.getBundleId() == 0 || b.getBundleId() == self || (owner != null && owner.getBundleId() == b.getBundleId());
        }

        @Override
        public void find(BundleContext viewer, String name, String filter, boolean allServices,
                         Collection<ServiceReference<?>> references) {
            references.removeIf(ref -> isTopologyManagerListener(ref) && !sees(viewer, ref));
        }

        @Override
        public void event(ServiceEvent event, Map<BundleContext, Collection<ListenerHook.ListenerInfo>> listeners) {
            ServiceReference<?> ref = event.getServiceReference();
            if (isTopologyManagerListener(ref)) {
                listeners.keySet().removeIf(viewer -> !sees(viewer, ref));
            }
        }
    }
}
