package dev.halibut.itests;

import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.FeaturesService;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * What every test class shares: the container ({@link KarafContainer}), the injected framework services,
 * and helpers for the Halibut runtime service, Config Admin and the example's DS components.
 *
 * <p>The test classes run inside Karaf as Pax Exam's probe bundle, which imports every package
 * dynamically, so {@code dev.halibut.*} and the calculator contract resolve against the container's own
 * bundles.
 */
public abstract class HalibutTestSupport {

    static final String RUNTIME_PID = "dev.halibut.runtime";
    static final String IMPORT_FACTORY_PID = "dev.halibut.import";
    static final String POLL_FACTORY_PID = "dev.halibut.poll";
    static final String CALCULATOR = "dev.halibut.examples.calculator.Calculator";
    static final String CONSUMER_COMPONENT = "dev.halibut.examples.calculator.consumer.CalculatorConsumer";
    static final String THUMBPRINT_PROPERTY = "halibut.thumbprint";
    static final String LISTEN_PORTS_PROPERTY = "halibut.listen.ports";
    /** Config Admin location "?": any bundle may receive the configuration (no binding to the probe). */
    static final String ANY_LOCATION = "?";

    @Inject
    protected BundleContext bundleContext;

    /** Karaf's boot features (among them {@code halibut}) are installed once this is registered. */
    @Inject
    protected BootFinished bootFinished;

    @Inject
    protected FeaturesService featuresService;

    @Inject
    protected ConfigurationAdmin configurationAdmin;

    @Inject
    protected ServiceComponentRuntime serviceComponentRuntime;

    @Configuration
    public Option[] config() {
        List<String> bootFeatures = new ArrayList<>();
        if (bootExampleFeature()) {
            bootFeatures.add("halibut-example");
        }
        bootFeatures.addAll(additionalBootFeatures());
        return KarafContainer.options(getClass(), bootFeatures);
    }

    /**
     * Whether the container boots {@code halibut-example} as well as {@code halibut}. It must, for a test
     * class whose method signatures (lambdas included) name the calculator contract: Pax Exam reflects on
     * the class before any test method runs, and the probe can only load the contract once its bundle is
     * installed.
     */
    protected boolean bootExampleFeature() {
        return true;
    }

    /**
     * Features of the project's repository (registered by the distribution) that the container installs at
     * boot besides {@code halibut} and {@code halibut-example}. They go into the boot features' own stage,
     * before Pax Exam's ({@link KarafContainer}): never add boot features with Pax Exam's {@code features(...)}
     * option, which puts them into Pax Exam's stage, where their deployment races with the test probe.
     */
    protected List<String> additionalBootFeatures() {
        return List.of();
    }

    /** Installs {@code halibut-example} (contract, exported service, consumer) unless it already is. */
    protected void installExampleFeature() throws Exception {
        if (!featuresService.isInstalled(featuresService.getFeature("halibut-example"))) {
            featuresService.installFeature("halibut-example", EnumSet.noneOf(FeaturesService.Option.class));
        }
    }

    /** The registered Halibut runtime, as its service properties and service object show it. */
    protected record RuntimeState(long serviceId, String thumbprint, List<Integer> listenPorts, HalibutRuntime runtime) {
        int port() {
            return listenPorts.get(0);
        }
    }

    /** Waits until a registered runtime satisfies {@code condition}, and returns it. */
    protected RuntimeState awaitRuntime(String what, Predicate<RuntimeState> condition) {
        return Await.value(what, () -> runtimes().stream().filter(condition).findFirst().orElse(null));
    }

    protected List<RuntimeState> runtimes() {
        List<RuntimeState> states = new ArrayList<>();
        try {
            Collection<ServiceReference<HalibutRuntime>> refs = bundleContext.getServiceReferences(HalibutRuntime.class, null);
            for (ServiceReference<HalibutRuntime> ref : refs) {
                HalibutRuntime runtime = bundleContext.getService(ref);
                if (runtime == null) {
                    continue; // unregistered meanwhile
                }
                try {
                    Object ports = ref.getProperty(LISTEN_PORTS_PROPERTY);
                    states.add(new RuntimeState((Long) ref.getProperty("service.id"),
                            (String) ref.getProperty(THUMBPRINT_PROPERTY),
                            ports instanceof Integer[] array ? Arrays.asList(array) : List.of(), runtime));
                } finally {
                    bundleContext.ungetService(ref);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        return states;
    }

    /**
     * Configures PID {@code dev.halibut.runtime} to listen on a free loopback port and trust {@code trusted},
     * with {@code extra} keys added, and waits for the runtime that runs it (a listening one that trusts
     * what was asked and passes {@code alsoRequired}).
     */
    protected RuntimeState configureListeningRuntime(Dictionary<String, Object> extra, Predicate<RuntimeState> alsoRequired,
            String... trusted) throws IOException {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("listen.port", new int[] {0});
        properties.put("listen.address", "127.0.0.1");
        properties.put("trusted.thumbprints", trusted);
        if (extra != null) {
            for (var keys = extra.keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                properties.put(key, extra.get(key));
            }
        }
        configurationAdmin.getConfiguration(RUNTIME_PID, ANY_LOCATION).update(properties);
        return awaitRuntime("a Halibut runtime listening on 127.0.0.1 and trusting " + Arrays.toString(trusted),
                s -> !s.listenPorts().isEmpty()
                        && Stream.of(trusted).allMatch(s.runtime()::isTrusted)
                        && s.runtime().trustedThumbprints().size() == trusted.length
                        && alsoRequired.test(s));
    }

    /** Creates a factory configuration any bundle may receive. */
    protected org.osgi.service.cm.Configuration createFactoryConfiguration(String factoryPid, Dictionary<String, ?> properties)
            throws IOException {
        org.osgi.service.cm.Configuration configuration = configurationAdmin.createFactoryConfiguration(factoryPid, ANY_LOCATION);
        configuration.update(properties);
        return configuration;
    }

    protected static Hashtable<String, Object> properties(Object... keysAndValues) {
        Hashtable<String, Object> properties = new Hashtable<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }

    /** The imported Calculator services (proxies) currently registered, matching {@code extraFilter} too. */
    protected List<ServiceReference<?>> importedCalculators(String extraFilter) {
        try {
            ServiceReference<?>[] refs = bundleContext.getServiceReferences(CALCULATOR,
                    "(&(service.imported=true)" + (extraFilter == null ? "" : extraFilter) + ")");
            return refs == null ? List.of() : List.of(refs);
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The one configuration of the example's consumer component, or null while it has none. */
    protected ComponentConfigurationDTO consumerConfiguration() {
        ComponentDescriptionDTO description = serviceComponentRuntime.getComponentDescriptionDTOs().stream()
                .filter(d -> CONSUMER_COMPONENT.equals(d.name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("No DS component " + CONSUMER_COMPONENT + " in the framework"));
        Collection<ComponentConfigurationDTO> configurations = serviceComponentRuntime.getComponentConfigurationDTOs(description);
        return configurations.isEmpty() ? null : configurations.iterator().next();
    }

    protected Integer consumerState() {
        ComponentConfigurationDTO configuration = consumerConfiguration();
        return configuration == null ? null : configuration.state;
    }

    /** The service ids the consumer's Calculator reference is bound to (DS 1.5 adds a condition reference too). */
    protected List<Long> consumerBoundServiceIds() {
        ComponentConfigurationDTO configuration = consumerConfiguration();
        if (configuration == null) {
            return List.of();
        }
        return Stream.of(configuration.satisfiedReferences)
                .filter(r -> "Calculator".equals(r.name))
                .flatMap(r -> Stream.of(r.boundServices))
                .map(s -> s.id)
                .collect(Collectors.toList());
    }

    static String stateName(Integer state) {
        if (state == null) {
            return "no configuration";
        }
        switch (state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION:
                return "UNSATISFIED_CONFIGURATION";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                return "UNSATISFIED_REFERENCE";
            case ComponentConfigurationDTO.SATISFIED:
                return "SATISFIED";
            case ComponentConfigurationDTO.ACTIVE:
                return "ACTIVE";
            case ComponentConfigurationDTO.FAILED_ACTIVATION:
                return "FAILED_ACTIVATION";
            default:
                return "state " + state;
        }
    }
}
