package dev.halibut.rsa.internal;

import dev.halibut.runtime.HalibutRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands exporting over from the registry to Remote Service Admin while this bundle runs: the registry exports
 * every service with {@code service.exported.interfaces} by itself, and so would the topology manager through
 * this provider, so the registry's exporter component is disabled (Declarative Services' own switch) and only
 * then is the provider offered ({@link ExportsHandedOver}).
 *
 * <p>This is done again each time a runtime is registered, because a restarted registry bundle brings its
 * exporter back enabled; the offer is withdrawn while there is no runtime. A runtime replaced by a
 * configuration change finds the exporter still disabled, so the registry exports nothing in between.
 * Deactivation (this bundle stops) enables the exporter again: without this bundle the registry exports as
 * before.
 */
// Declared for resolvers (Karaf's feature resolver checks osgi.service requirements): the marker is registered
// by hand, not by DS.
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"dev.halibut.rsa.internal.ExportsHandedOver\"")
@Component(immediate = true, service = {})
public final class RegistryExporterHandover {
    /** The registry's exporter component (docs/osgi.md, "Remote Service Admin and discovery"). */
    static final String REGISTRY_EXPORTER = "dev.halibut.registry.internal.ServiceExporter";
    private static final Logger LOG = LoggerFactory.getLogger(RegistryExporterHandover.class);

    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final ServiceTracker<HalibutRuntime, HalibutRuntime> runtimes;
    private final List<ComponentDescriptionDTO> disabled = new ArrayList<>();
    private ServiceRegistration<?> handedOver;
    /** Counts hand-overs and withdrawals, so a disable that completes after a withdrawal offers nothing. */
    private int generation;
    private boolean closed;

    @Activate
    public RegistryExporterHandover(BundleContext context, @Reference ServiceComponentRuntime scr) {
        this.context = context;
        this.scr = scr;
        this.runtimes = new ServiceTracker<>(context, HalibutRuntime.class, null) {
            @Override
            public HalibutRuntime addingService(ServiceReference<HalibutRuntime> ref) {
                HalibutRuntime runtime = super.addingService(ref);
                handOver();
                return runtime;
            }

            @Override
            public void removedService(ServiceReference<HalibutRuntime> ref, HalibutRuntime runtime) {
                withdraw();
                super.removedService(ref, runtime);
            }
        };
        runtimes.open();
    }

    /** Disables every registry exporter (a no-op for one disabled already), then offers the provider. */
    private synchronized void handOver() {
        if (closed) {
            return;
        }
        int current = ++generation;
        List<ComponentDescriptionDTO> exporters = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> REGISTRY_EXPORTER.equals(d.name)).toList();
        AtomicInteger pending = new AtomicInteger(exporters.size());
        for (ComponentDescriptionDTO d : exporters) {
            if (disabled.stream().noneMatch(x -> x.bundle.id == d.bundle.id)) {
                disabled.add(d);
            }
            // Asynchronous in SCR: the provider is offered when every one is done, not from this thread.
            scr.disableComponent(d).onResolve(() -> {
                if (pending.decrementAndGet() == 0) {
                    offer(current);
                }
            });
        }
        if (exporters.isEmpty()) {
            offer(current);
        }
    }

    private synchronized void offer(int forGeneration) {
        if (closed || forGeneration != generation || handedOver != null) {
            return;
        }
        LOG.info("Remote services: the registry's exporter is disabled; exports go through Remote Service Admin "
                + "(the topology manager and discovery) while bundle {} runs", context.getBundle().getSymbolicName());
        handedOver = context.registerService(ExportsHandedOver.class, new ExportsHandedOver() { }, null);
    }

    private synchronized void withdraw() {
        generation++;
        if (handedOver != null) {
            try {
                handedOver.unregister();
            } catch (IllegalStateException alreadyGone) {
                // this bundle is stopping: the framework has unregistered it
            }
            handedOver = null;
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (this) {
            closed = true;
        }
        runtimes.close();
        withdraw();
        synchronized (this) {
            for (ComponentDescriptionDTO d : disabled) {
                Bundle owner = context.getBundle(d.bundle.id);
                if (owner != null && owner.getState() == Bundle.ACTIVE) {
                    scr.enableComponent(d);
                }
            }
            if (!disabled.isEmpty()) {
                LOG.info("Remote services: the registry's exporter is enabled again");
            }
            disabled.clear();
        }
    }
}
