package dev.halibut.rsa.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.registry.HalibutRemoteServices;
import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.registry.distribution.HalibutDistribution;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.aries.rsa.spi.DistributionProvider;
import org.apache.aries.rsa.spi.Endpoint;
import org.apache.aries.rsa.spi.IntentUnsatisfiedException;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.remoteserviceadmin.EndpointDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Halibut as Apache Aries RSA's distribution provider: Aries RSA core becomes the
 * {@code RemoteServiceAdmin} for configuration type {@code dev.halibut} (with its events and listeners), the
 * topology manager decides what to export and import, discovery carries the endpoint descriptions.
 * <ul>
 * <li>Export: serves the service through the runtime under each interface (one export id for all of them)
 * and describes it with {@link HalibutEndpoints#describe}; closing the endpoint withdraws it. The description
 * names the runtime's listener, or, when PID {@code dev.halibut.rsa} has {@code polling.*} keys, the subscription
 * this provider polls that listener for ({@link Publication}).</li>
 * <li>Import: the registry's imported proxy over the runtime's clients, calling the description's endpoint and
 * requiring its thumbprint; a {@code poll://} description only by the listener it names. Only a trusted
 * thumbprint is called ({@link TrustGate} keeps untrusted endpoints, and poll:// endpoints of other listeners,
 * from the topology manager in the first place; this check is for anyone calling RemoteServiceAdmin
 * directly).</li>
 * </ul>
 * It also answers {@link HalibutRemoteServices} for the shell, since the registry's own exporter hands its
 * work over to this provider ({@link RegistryExporterHandover}).
 */
// What the Aries topology manager requires of a distribution provider bundle (RSA 122.5).
@Capability(namespace = "osgi.remoteserviceadmin.distribution",
        attribute = "configs:List<String>=\"" + HalibutDistribution.CONFIG_TYPE + "\"", version = "1.1.0")
@Component(configurationPid = "dev.halibut.rsa", configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = {DistributionProvider.class, HalibutRemoteServices.class},
        property = {"remote.configs.supported=" + HalibutDistribution.CONFIG_TYPE,
            "remote.intents.supported=osgi.basic", "remote.intents.supported=osgi.async",
            "remote.intents.supported=osgi.confidential"})
@Designate(ocd = ProviderConfiguration.class)
public final class HalibutDistributionProvider implements DistributionProvider, HalibutRemoteServices {
    private static final Logger LOG = LoggerFactory.getLogger(HalibutDistributionProvider.class);

    private final HalibutRuntime runtime;
    private final String frameworkUuid;
    /** Where exports are published; null when the runtime neither listens nor is configured to poll. */
    private final Publication publication;
    /** The subscription this provider polls for its poll:// exports (polling.* keys); null when it publishes https. */
    private final PollingSubscription polling;
    private final List<ExportedService> exported = new CopyOnWriteArrayList<>();

    @Activate
    public HalibutDistributionProvider(BundleContext context, ProviderConfiguration config,
                                       @Reference(service = HalibutRuntime.class)
                                       Map.Entry<Map<String, Object>, HalibutRuntime> runtime,
                                       @Reference ExportsHandedOver registryExporterDisabled) {
        this.runtime = runtime.getValue();
        this.frameworkUuid = context.getProperty(Constants.FRAMEWORK_UUID);
        PollingSettings pollingSettings;
        try {
            pollingSettings = PollingSettings.of(config, this.runtime.thumbprint());
        } catch (IllegalArgumentException e) {
            LOG.error("Remote Service Admin provider not started: {}", e.getMessage());
            throw e;
        }
        if (pollingSettings != null) {
            // Polling takes precedence over a listener: the operator said importers reach this node this way.
            this.polling = this.runtime.poll(pollingSettings.subscription(), pollingSettings.listener(),
                    pollingSettings.connections());
            this.publication = Publication.polling(pollingSettings.subscription(), pollingSettings.listener());
            LOG.info("Remote service exports (RSA) are published as {}, collected by polling {}",
                    pollingSettings.subscription(), pollingSettings.listener());
        } else {
            this.polling = null;
            URI advertised = advertisedEndpoint(config, listenPorts(runtime.getKey()));
            this.publication = advertised == null ? null : Publication.listening(advertised);
        }
    }

    /** Stops polling for the poll:// exports; Aries has closed the exports themselves already. */
    @Deactivate
    void deactivate() {
        if (polling != null) {
            polling.close();
        }
    }

    @Override
    public String[] getSupportedTypes() {
        return new String[] {HalibutDistribution.CONFIG_TYPE};
    }

    @Override
    public List<ExportedService> exportedServices() {
        return List.copyOf(exported);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Endpoint exportService(Object service, BundleContext serviceContext, Map<String, Object> endpointProperties,
                                  Class[] interfaces) {
        // Aries hands over the service's properties with service.id moved to endpoint.service.id (and
        // endpoint.package.version.* added); the registry's rules read service.id.
        Map<String, Object> properties = new LinkedHashMap<>(endpointProperties);
        Object serviceId = properties.get("endpoint.service.id");
        if (serviceId != null) {
            properties.put(Constants.SERVICE_ID, serviceId);
        }
        String where = "service " + serviceId + " of bundle "
                + serviceContext.getBundle().getSymbolicName();
        HalibutDistribution.ExportDecision decision = HalibutDistribution.decideExport(properties);
        if (!decision.forUs()) {
            return null;
        }
        decision.problems().forEach(p -> LOG.warn("Remote service export (RSA): {} {}", where, p));
        if (decision.interfaces().isEmpty()) {
            throw new IntentUnsatisfiedException(String.join("; ", decision.problems()));
        }
        if (publication == null) {
            // Not an error of the service: Aries would log a stack trace per service. Nothing is exported; the
            // topology manager exports again when the provider comes back with a listening or polling runtime.
            LOG.warn("Remote service export (RSA): {} is not published: the Halibut runtime listens on no port "
                    + "(etc/{}.cfg listen.port) and polls no listener for discovery (etc/{}.cfg polling.endpoint and "
                    + "polling.thumbprint); set either", where, HalibutConfig.RUNTIME_PID, PollingSettings.PID);
            return null;
        }
        String exportId = UUID.randomUUID().toString();
        Map<String, Object> described = HalibutDistribution.exportProperties(properties, exportId, frameworkUuid);
        List<HalibutRuntime.ServiceRegistration> registrations = new ArrayList<>();
        List<ExportedService> entries = new ArrayList<>();
        Map<String, String> addresses = new LinkedHashMap<>();
        try {
            for (Class<?> contract : interfaces) {
                if (!decision.interfaces().contains(contract.getName())) {
                    continue;
                }
                if (!contract.isInterface()) {
                    LOG.warn("Remote service export (RSA): {} {} is a class, not an interface; skipped", where,
                            contract.getName());
                    continue;
                }
                HalibutRuntime.ServiceRegistration r = register(contract, service, described);
                registrations.add(r);
                addresses.put(contract.getName(), r.address());
                entries.add(new ExportedService(serviceId instanceof Number n ? n.longValue() : -1,
                        serviceContext.getBundle().getSymbolicName(), contract.getName(), r.serviceName(),
                        r.endpointId(), r.address()));
            }
        } catch (RuntimeException e) {
            registrations.forEach(HalibutRuntime.ServiceRegistration::close);
            throw e;
        }
        if (registrations.isEmpty()) {
            throw new IllegalArgumentException("Remote service export (RSA): " + where + " has no interface to export");
        }
        EndpointDescription description = new EndpointDescription(HalibutEndpoints.describe(described, publication,
                runtime.thumbprint(), exportId, addresses));
        exported.addAll(entries);
        LOG.info("Remote service export (RSA): {} {} published as endpoint {}", where, addresses.keySet(),
                description.getId());
        return new HalibutEndpoint(description, registrations, entries);
    }

    @SuppressWarnings("unchecked")
    private <T> HalibutRuntime.ServiceRegistration register(Class<T> contract, Object service,
                                                             Map<String, Object> properties) {
        return runtime.register(contract, (T) service, properties);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Object importEndpoint(ClassLoader consumerLoader, BundleContext consumerContext, Class[] interfaces,
                                 EndpointDescription description) {
        HalibutEndpoints.Target target = HalibutEndpoints.target(description.getProperties());
        if (target.polledThumbprint() != null && !Thumbprints.matches(target.polledThumbprint(), runtime.thumbprint())) {
            // Requests queued here would wait for a poller that collects at another listener, and time out.
            throw new IllegalArgumentException("Endpoint " + description.getId() + " at " + target.endpoint()
                    + " is collected by the listener with thumbprint " + target.polledThumbprint() + " ("
                    + description.getProperties().get(HalibutEndpoints.POLLED_ENDPOINT) + "), not by this runtime ("
                    + runtime.thumbprint() + "); only that listener can import it");
        }
        if (!runtime.isTrusted(target.thumbprint())) {
            throw new SecurityException("Endpoint " + description.getId() + " at " + target.endpoint()
                    + " presents thumbprint " + target.thumbprint() + ", which this runtime does not trust; "
                    + "trust it (halibut:trust " + target.thumbprint() + ") to import it");
        }
        ServiceEndPoint endpoint = new ServiceEndPoint(target.endpoint(), target.thumbprint());
        if (target.timeoutMillis() > 0) {
            HalibutLimits limits = endpoint.limitsOr(runtime.limits());
            endpoint = endpoint.withLimits(limits.withResponseTimeout(Duration.ofMillis(target.timeoutMillis())));
        }
        ServiceEndPoint calling = endpoint;
        List<Class<?>> contracts = List.of((Class<?>[]) interfaces);
        String what = "Halibut import of " + description.getInterfaces() + " from " + target.endpoint()
                + " (endpoint.id " + description.getId() + ")";
        // Discovery withdraws the description when the export goes: nothing to re-check when a call finds the
        // service gone.
        return HalibutDistribution.importedProxy(contracts,
                c -> client(c, calling, target.addresses().get(c.getName())), what, () -> { });
    }

    @SuppressWarnings("unchecked")
    private <T> T client(Class<?> contract, ServiceEndPoint endpoint, String address) {
        return address == null ? runtime.createClient((Class<T>) contract, endpoint)
                : runtime.createClient((Class<T>) contract, endpoint, address);
    }

    /** What Aries holds for one export; closing it withdraws the export from the runtime. */
    private final class HalibutEndpoint implements Endpoint {
        private final EndpointDescription description;
        private final List<HalibutRuntime.ServiceRegistration> registrations;
        private final List<ExportedService> entries;

        HalibutEndpoint(EndpointDescription description, List<HalibutRuntime.ServiceRegistration> registrations,
                        List<ExportedService> entries) {
            this.description = description;
            this.registrations = registrations;
            this.entries = entries;
        }

        @Override
        public EndpointDescription description() {
            return description;
        }

        @Override
        public void close() {
            registrations.forEach(HalibutRuntime.ServiceRegistration::close);
            exported.removeAll(entries);
            LOG.info("Remote service export (RSA): endpoint {} withdrawn", description.getId());
        }
    }

    /** The ports the runtime listens on, from its service properties (with listen.port 0, the bound ones). */
    private static Integer[] listenPorts(Map<String, Object> runtimeProperties) {
        return runtimeProperties.get(HalibutConfig.LISTEN_PORTS_PROPERTY) instanceof Integer[] p ? p : new Integer[0];
    }

    /** The https:// URI importers dial, or null when the runtime does not listen. */
    static URI advertisedEndpoint(ProviderConfiguration config, Integer[] listenPorts) {
        int port = config.advertised_port() > 0 ? config.advertised_port()
                : listenPorts.length > 0 ? listenPorts[0] : 0;
        if (port <= 0) {
            return null;
        }
        String host = config.advertised_host();
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getCanonicalHostName();
            } catch (UnknownHostException e) {
                throw new IllegalStateException("This machine's host name cannot be resolved (" + e.getMessage()
                        + "); set advertised.host in etc/dev.halibut.rsa.cfg");
            }
        }
        String literal = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create("https://" + literal + ":" + port + "/");
    }
}
