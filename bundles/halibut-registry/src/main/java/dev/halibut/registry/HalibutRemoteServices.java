package dev.halibut.registry;

import java.util.List;

/**
 * The Halibut distribution provider: registered with {@code remote.configs.supported=dev.halibut} and
 * {@code remote.intents.supported} = {@code osgi.basic}, {@code osgi.async}, {@code osgi.confidential} while a
 * runtime is available, it exports every OSGi service registered with {@code service.exported.interfaces}
 * (OSGi Remote Services).
 */
public interface HalibutRemoteServices {

    /**
     * One interface of one OSGi service, served under its wire name.
     *
     * @param endpointId the export's {@code endpoint.id}: shared by the interfaces of one service, stable while
     *                   it is exported
     * @param address    the wire address that reaches exactly this export ({@code serviceName@endpointId}); the
     *                   plain {@code serviceName} reaches the highest-ranking export of the interface
     */
    record ExportedService(long serviceId, String bundleSymbolicName, String interfaceName, String serviceName,
                           String endpointId, String address) {
    }

    /** The interfaces served right now, in the order they were exported. */
    List<ExportedService> exportedServices();
}
