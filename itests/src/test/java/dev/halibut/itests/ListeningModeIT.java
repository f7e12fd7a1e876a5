package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.halibut.examples.calculator.Calculator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * Listening mode through Config Admin: the runtime listens on loopback and trusts itself, an import
 * configuration points at its own https:// endpoint, so the exported calculator is called over TLS by the
 * proxy that the import registers, and the DS consumer receives that proxy.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ListeningModeIT extends HalibutTestSupport {

    private RuntimeState runtime;
    private Configuration importConfiguration;

    @Before
    public void listenOnLoopbackAndTrustOurselves() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        runtime = configureListeningRuntime(null, s -> true, own);
    }

    @After
    public void deleteImport() throws Exception {
        if (importConfiguration != null) {
            importConfiguration.delete();
        }
    }

    @Test
    public void importedCalculatorIsCalledOverHttpsInjectedIntoTheConsumerAndWithdrawnWithItsConfiguration() throws Exception {
        // The consumer only takes imported calculators (the local, exported one does not satisfy it).
        Await.until(() -> "the consumer component UNSATISFIED_REFERENCE before any import; it is "
                        + stateName(consumerState()),
                () -> Integer.valueOf(ComponentConfigurationDTO.UNSATISFIED_REFERENCE).equals(consumerState()));

        String endpoint = "https://127.0.0.1:" + runtime.port() + "/";
        importConfiguration = createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", endpoint,
                "thumbprint", runtime.thumbprint(),
                "interfaces", CALCULATOR,
                "itest.marker", "listening"));

        ServiceReference<?> proxy = Await.value("an imported Calculator service",
                () -> importedCalculators(null).stream().findFirst().orElse(null));
        assertEquals("one proxy for one import", 1, importedCalculators(null).size());
        assertEquals("service.imported.configs", List.of("dev.halibut"), asList(proxy.getProperty("service.imported.configs")));
        assertEquals("halibut.endpoint", endpoint, proxy.getProperty("halibut.endpoint"));
        assertEquals("a property of the import configuration is copied to the proxy", "listening",
                proxy.getProperty("itest.marker"));
        List<String> exported = Stream.of(proxy.getPropertyKeys()).filter(k -> k.startsWith("service.exported."))
                .collect(Collectors.toList());
        assertTrue("no service.exported.* on an imported service: " + exported, exported.isEmpty());

        Calculator calculator = (Calculator) bundleContext.getService(proxy);
        try {
            assertEquals(3, calculator.add(1, 2));
        } finally {
            bundleContext.ungetService(proxy);
        }

        long proxyId = (Long) proxy.getProperty("service.id");
        Await.until(() -> "the consumer component ACTIVE and bound to the proxy " + proxyId + "; it is "
                        + stateName(consumerState()) + " bound to " + consumerBoundServiceIds(),
                () -> Integer.valueOf(ComponentConfigurationDTO.ACTIVE).equals(consumerState())
                        && consumerBoundServiceIds().equals(List.of(proxyId)));

        importConfiguration.delete();
        importConfiguration = null;
        Await.until("the imported Calculator service gone", () -> importedCalculators(null).isEmpty());
        Await.until(() -> "the consumer component UNSATISFIED_REFERENCE; it is " + stateName(consumerState()),
                () -> Integer.valueOf(ComponentConfigurationDTO.UNSATISFIED_REFERENCE).equals(consumerState()));
    }

    static List<Object> asList(Object value) {
        if (value instanceof Object[] array) {
            return List.of(array);
        }
        if (value instanceof java.util.Collection<?> collection) {
            return List.copyOf(collection);
        }
        return value == null ? List.of() : List.of(value);
    }
}
