package dev.halibut.registry;

import java.util.List;

/**
 * The Halibut distribution provider: registered with {@code remote.configs.supported=dev.halibut} and
 * {@code remote.intents.supported=osgi.confidential} while a runtime is available, it exports every
 * OSGi service registered with {@code service.exported.interfaces} (OSGi Remote Services).
 */
public interface HalibutRemoteServices {

    /** One interface of one OSGi service, served under its wire name. */
    record ExportedService(long serviceId, String bundleSymbolicName, String interfaceName, String serviceName) {
    }

    /** The interfaces served right now, in the order they were exported. */
    List<ExportedService> exportedServices();
}
