package dev.halibut.registry.internal;

import dev.halibut.runtime.HalibutRuntime;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * One import (one configuration of factory PID {@code dev.halibut.import}): registers a client proxy
 * for the remote service under its contract interfaces. The contracts come from whichever bundle
 * exports their packages, which may resolve after this activates or be refreshed while it runs; a
 * bundle tracker registers the proxy once they are all there and withdraws it when one goes.
 * Changing the configuration makes DS deactivate this and activate a new one: the proxy is replaced.
 */
@Component(configurationPid = ImportSettings.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = ImportConfiguration.class, factory = true)
public final class ImportComponent {
    private static final Logger LOG = LoggerFactory.getLogger(ImportComponent.class);

    private final BundleContext context;
    private final HalibutRuntime runtime;
    private final ImportSettings settings;
    private final Object pid;
    private final BundleTracker<Bundle> tracker;
    private ServiceRegistration<?> registration;
    private Set<Long> providers = Set.of();
    private String lastMissing;

    @Activate
    public ImportComponent(BundleContext context, @Reference HalibutRuntime runtime, Map<String, Object> properties) {
        this.context = context;
        this.runtime = runtime;
        this.settings = Configurations.parse(LOG, () -> ImportSettings.parse(properties));
        this.pid = properties.get("service.pid");
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
        tracker.open();
        registerIfReady();
    }

    @Deactivate
    synchronized void deactivate() {
        // Unregister first: closing the tracker reports every bundle as removed, which is not news here.
        unregister();
        tracker.close();
    }

    private synchronized void registerIfReady() {
        if (registration != null) {
            return;
        }
        List<Class<?>> contracts = new ArrayList<>();
        Set<Long> from = new HashSet<>();
        for (String name : settings.interfaces()) {
            ContractClasses.Found found;
            try {
                found = ContractClasses.find(context, name);
            } catch (IllegalArgumentException e) {
                report("Import of " + settings.interfaces() + " from " + settings.endpoint().baseUri() + " is not possible: "
                        + e.getMessage() + "; fix configuration " + pid);
                return;
            }
            if (found == null) {
                report("Import of " + settings.interfaces() + " from " + settings.endpoint().baseUri()
                        + " waits for a bundle that exports package " + name.substring(0, name.lastIndexOf('.')));
                return;
            }
            contracts.add(found.type());
            from.add(found.bundle().getBundleId());
        }
        Object proxy = proxyFor(contracts);
        Hashtable<String, Object> props = new Hashtable<>(settings.extraProperties());
        props.put("service.imported", Boolean.TRUE);
        props.put("service.imported.configs", new String[] {ExportPlan.CONFIG_TYPE});
        props.put("endpoint.id", settings.endpoint().baseUri().toString());
        String[] names = settings.interfaces().toArray(new String[0]);
        providers = from;
        lastMissing = null;
        // Logged first: registering runs consumers' bind methods, which log what they do with it.
        LOG.info("Importing {} from {} (thumbprint {})", settings.interfaces(), settings.endpoint().baseUri(),
                settings.endpoint().remoteThumbprint());
        registration = context.registerService(names, proxy, props);
    }

    private synchronized void providerGone(Bundle bundle) {
        if (registration != null && providers.contains(bundle.getBundleId())) {
            LOG.info("Import of {} from {} withdrawn: bundle {} that provides its contract stopped resolving",
                    settings.interfaces(), settings.endpoint().baseUri(), bundle.getSymbolicName());
            unregister();
        }
    }

    private void unregister() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // Our bundle is stopping and the framework has unregistered it already.
            }
            registration = null;
            providers = Set.of();
            LOG.info("Import of {} from {} unregistered", settings.interfaces(), settings.endpoint().baseUri());
        }
    }

    /** Logs a reason once, not on every bundle event that does not change it. */
    private void report(String message) {
        if (!message.equals(lastMissing)) {
            LOG.warn(message);
            lastMissing = message;
        }
    }

    private Object proxyFor(List<Class<?>> contracts) {
        if (contracts.size() == 1) {
            return client(contracts.get(0));
        }
        Map<Class<?>, Object> clients = new LinkedHashMap<>();
        for (Class<?> c : contracts) {
            clients.put(c, client(c));
        }
        String description = "Halibut import of " + settings.interfaces() + " from " + settings.endpoint().baseUri();
        InvocationHandler handler = (self, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> self == args[0];
                    case "hashCode" -> System.identityHashCode(self);
                    default -> description;
                };
            }
            Object target = clients.get(method.getDeclaringClass());
            if (target == null) {
                // A method inherited from a super-interface: the first client whose contract has it.
                target = clients.entrySet().stream().filter(e -> method.getDeclaringClass().isAssignableFrom(e.getKey()))
                        .map(Map.Entry::getValue).findFirst().orElseThrow();
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return Proxy.newProxyInstance(new ContractsClassLoader(contracts), contracts.toArray(new Class<?>[0]), handler);
    }

    @SuppressWarnings("unchecked")
    private <T> T client(Class<?> contract) {
        return runtime.createClient((Class<T>) contract, settings.endpoint());
    }

    /** Sees the contracts of several bundles at once, which a proxy implementing all of them needs. */
    private static final class ContractsClassLoader extends ClassLoader {
        private final List<ClassLoader> loaders = new ArrayList<>();

        ContractsClassLoader(List<Class<?>> contracts) {
            super(null);
            for (Class<?> c : contracts) {
                if (!loaders.contains(c.getClassLoader())) {
                    loaders.add(c.getClassLoader());
                }
            }
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            for (ClassLoader l : loaders) {
                try {
                    return l.loadClass(name);
                } catch (ClassNotFoundException e) {
                    // try the next one
                }
            }
            throw new ClassNotFoundException(name);
        }
    }
}
