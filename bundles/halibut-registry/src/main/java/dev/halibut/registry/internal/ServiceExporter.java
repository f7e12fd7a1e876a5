package dev.halibut.registry.internal;

import dev.halibut.registry.HalibutRemoteServices;
import dev.halibut.runtime.HalibutRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports OSGi services marked with {@code service.exported.interfaces} through the runtime, and
 * withdraws them when they go away or stop being marked. One instance per runtime: when the runtime is
 * replaced, DS deactivates this (withdrawing everything) and activates a fresh one.
 */
@Component(immediate = true, service = HalibutRemoteServices.class,
        property = {"remote.configs.supported=" + ExportPlan.CONFIG_TYPE, "remote.intents.supported=osgi.basic",
            "remote.intents.supported=osgi.async", "remote.intents.supported=osgi.confidential"})
public final class ServiceExporter implements HalibutRemoteServices {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceExporter.class);
    private static final String FILTER = "(" + ExportPlan.EXPORTED_INTERFACES + "=*)";

    private final HalibutRuntime runtime;
    private final String frameworkUuid;
    private final List<ExportedService> exported = new CopyOnWriteArrayList<>();
    private final ServiceTracker<Object, Export> tracker;

    @Activate
    public ServiceExporter(BundleContext context, @Reference HalibutRuntime runtime) throws InvalidSyntaxException {
        this.runtime = runtime;
        this.frameworkUuid = context.getProperty(Constants.FRAMEWORK_UUID);
        this.tracker = new ServiceTracker<>(context, context.createFilter(FILTER), new Customizer(context));
        tracker.open(true);
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }

    @Override
    public List<ExportedService> exportedServices() {
        return List.copyOf(exported);
    }

    /** What one OSGi service has exported right now, so exactly that can be withdrawn. */
    private static final class Export {
        /** The service's endpoint.id: one for all its interfaces, kept while the service is tracked. */
        final String endpointId = UUID.randomUUID().toString();
        ExportPlan plan;
        Object service;
        final List<HalibutRuntime.ServiceRegistration> registrations = new ArrayList<>();
        final List<ExportedService> entries = new ArrayList<>();
    }

    private final class Customizer implements ServiceTrackerCustomizer<Object, Export> {
        private final BundleContext context;

        Customizer(BundleContext context) {
            this.context = context;
        }

        @Override
        public Export addingService(ServiceReference<Object> ref) {
            Export export = new Export();
            // Tracked even when nothing is exported, so a later property change that makes it
            // exportable is seen.
            exportAll(ref, export);
            return export;
        }

        @Override
        public void modifiedService(ServiceReference<Object> ref, Export export) {
            // Re-export only when the outcome could differ: other property changes are common (a service
            // publishing its own status, say) and must not interrupt calls.
            if (ExportPlan.of(propertiesOf(ref)).equals(export.plan)) {
                // Importers see the new properties at their next refresh.
                Map<String, Object> described = ExportProperties.of(propertiesOf(ref), export.endpointId, frameworkUuid);
                export.registrations.forEach(r -> r.setProperties(described));
                return;
            }
            withdraw(ref, export);
            exportAll(ref, export);
        }

        @Override
        public void removedService(ServiceReference<Object> ref, Export export) {
            withdraw(ref, export);
        }

        private void exportAll(ServiceReference<Object> ref, Export export) {
            ExportPlan plan = ExportPlan.of(propertiesOf(ref));
            export.plan = plan;
            String where = describe(ref);
            for (String problem : plan.problems()) {
                LOG.warn("Remote service export: {} {}", where, problem);
            }
            if (!plan.forUs() || plan.interfaces().isEmpty()) {
                return;
            }
            Bundle bundle = ref.getBundle();
            Object service = bundle == null ? null : context.getService(ref);
            if (service == null) {
                LOG.warn("Remote service export: {} went away before it could be exported", where);
                return;
            }
            export.service = service;
            Map<String, Object> described = ExportProperties.of(propertiesOf(ref), export.endpointId, frameworkUuid);
            for (String name : plan.interfaces()) {
                exportOne(ref, bundle, service, name, where, export, described);
            }
            if (export.registrations.isEmpty()) {
                context.ungetService(ref);
                export.service = null;
            }
        }

        private void exportOne(ServiceReference<Object> ref, Bundle bundle, Object service, String name, String where,
                               Export export, Map<String, Object> described) {
            Class<?> contract;
            try {
                contract = bundle.loadClass(name);
            } catch (ClassNotFoundException | IllegalStateException e) {
                LOG.warn("Remote service export: {} interface {} cannot be loaded from its bundle ({}); skipped",
                        where, name, e.toString());
                return;
            }
            if (!contract.isInterface()) {
                LOG.warn("Remote service export: {} {} is a class, not an interface; only interfaces can be "
                        + "exported; skipped", where, name);
                return;
            }
            try {
                HalibutRuntime.ServiceRegistration registration = register(contract, service, described);
                export.registrations.add(registration);
                ExportedService entry = new ExportedService((Long) ref.getProperty(Constants.SERVICE_ID),
                        bundle.getSymbolicName(), name, registration.serviceName(), registration.endpointId(),
                        registration.address());
                export.entries.add(entry);
                exported.add(entry);
                LOG.info("Remote service export: {} {} is served as '{}' and '{}'", where, name,
                        registration.serviceName(), registration.address());
            } catch (RuntimeException e) {
                LOG.warn("Remote service export: {} interface {} cannot be exported: {}", where, name, e.getMessage());
            }
        }

        @SuppressWarnings("unchecked")
        private <T> HalibutRuntime.ServiceRegistration register(Class<T> contract, Object service,
                                                                 Map<String, Object> described) {
            return runtime.register(contract, (T) service, described);
        }

        private void withdraw(ServiceReference<Object> ref, Export export) {
            for (HalibutRuntime.ServiceRegistration r : export.registrations) {
                r.close();
            }
            exported.removeAll(export.entries);
            export.registrations.clear();
            export.entries.clear();
            if (export.service != null) {
                export.service = null;
                context.ungetService(ref);
                LOG.info("Remote service export: {} withdrawn", describe(ref));
            }
        }
    }

    private static Map<String, Object> propertiesOf(ServiceReference<?> ref) {
        Map<String, Object> properties = new HashMap<>();
        for (String key : ref.getPropertyKeys()) {
            properties.put(key, ref.getProperty(key));
        }
        return properties;
    }

    private static String describe(ServiceReference<?> ref) {
        Bundle b = ref.getBundle();
        return "service " + ref.getProperty(Constants.SERVICE_ID) + " of bundle "
                + (b == null ? "(unregistered)" : b.getSymbolicName() + " [" + b.getBundleId() + "]");
    }
}
