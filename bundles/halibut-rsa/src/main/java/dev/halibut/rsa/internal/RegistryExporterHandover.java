package dev.halibut.rsa.internal;

import dev.halibut.runtime.HalibutRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands exporting over from the registry to Remote Service Admin while this bundle runs: the registry exports
 * every service with {@code service.exported.interfaces} by itself, and so would the topology manager through
 * this provider, so the registry's exporter component is disabled (Declarative Services' own switch) and only
 * then is the provider offered ({@link ExportsHandedOver}). Deactivation enables it again: without this bundle
 * the registry exports as before. It holds the runtime so that a restarted registry bundle, whose exporter
 * comes back enabled, is handed over again.
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
    private final List<ComponentDescriptionDTO> disabled = new ArrayList<>();
    private ServiceRegistration<?> handedOver;
    private boolean closed;

    @Activate
    public RegistryExporterHandover(BundleContext context, @Reference ServiceComponentRuntime scr,
                                    @Reference HalibutRuntime runtime) {
        this.context = context;
        this.scr = scr;
        List<ComponentDescriptionDTO> exporters = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> REGISTRY_EXPORTER.equals(d.name)).toList();
        AtomicInteger pending = new AtomicInteger(exporters.size());
        for (ComponentDescriptionDTO d : exporters) {
            synchronized (this) {
                disabled.add(d);
            }
            // Asynchronous in SCR: the provider is offered when every one is done, not from this activation.
            scr.disableComponent(d).onResolve(() -> {
                if (pending.decrementAndGet() == 0) {
                    offer();
                }
            });
        }
        if (exporters.isEmpty()) {
            offer();
        }
    }

    private synchronized void offer() {
        if (closed || handedOver != null) {
            return;
        }
        LOG.info("Remote services: the registry's exporter is disabled; exports go through Remote Service Admin "
                + "(the topology manager and discovery) while bundle {} runs", context.getBundle().getSymbolicName());
        handedOver = context.registerService(ExportsHandedOver.class, new ExportsHandedOver() { }, null);
    }

    @Deactivate
    synchronized void deactivate() {
        closed = true;
        if (handedOver != null) {
            try {
                handedOver.unregister();
            } catch (IllegalStateException alreadyGone) {
                // this bundle is stopping: the framework has unregistered it
            }
            handedOver = null;
        }
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
