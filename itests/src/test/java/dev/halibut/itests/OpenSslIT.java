package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.halibut.examples.calculator.Calculator;
import java.util.List;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;

/**
 * {@code tls.provider = openssl} in Karaf: with the {@code halibut-openssl} feature the runtime configured for
 * OpenSSL starts (it would fail to activate, naming the missing netty-tcnative, if OpenSSL could not be loaded) and
 * carries a call over its own listening endpoint, so both ends of that connection run BoringSSL.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OpenSslIT extends HalibutTestSupport {

    private Configuration importConfiguration;

    @Override
    protected List<String> additionalBootFeatures() {
        return List.of("halibut-openssl");
    }

    @After
    public void deleteImport() throws Exception {
        if (importConfiguration != null) {
            importConfiguration.delete();
        }
    }

    @Test
    public void aRuntimeConfiguredForOpenSslStartsAndCallsItselfOverTls() throws Exception {
        Bundle nativeFragment = java.util.Arrays.stream(bundleContext.getBundles())
                .filter(b -> "io.netty.tcnative-boringssl-static".equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("the halibut-openssl feature installed no BoringSSL fragment"));
        assertEquals("the BoringSSL fragment is attached to netty-tcnative-classes", Bundle.RESOLVED, nativeFragment.getState());

        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        RuntimeState runtime = configureListeningRuntime(properties("tls.provider", "openssl"), s -> true, own);

        String endpoint = "https://127.0.0.1:" + runtime.port() + "/";
        importConfiguration = createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", endpoint,
                "thumbprint", runtime.thumbprint(),
                "interfaces", CALCULATOR));
        ServiceReference<?> proxy = Await.value("an imported Calculator service",
                () -> importedCalculators(null).stream().findFirst().orElse(null));
        Calculator calculator = (Calculator) bundleContext.getService(proxy);
        try {
            assertEquals(3, calculator.add(1, 2));
            assertEquals(5, calculator.divide(10, 2));
        } finally {
            bundleContext.ungetService(proxy);
        }
        assertTrue("the runtime that answered is the one configured for openssl",
                runtimes().stream().anyMatch(s -> s.serviceId() == runtime.serviceId()));
    }
}
