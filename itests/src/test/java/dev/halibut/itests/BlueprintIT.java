package dev.halibut.itests;

import static org.junit.Assert.assertEquals;

import dev.halibut.examples.calculator.Calculator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import org.apache.karaf.features.FeaturesService;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;

/**
 * Blueprint users get the runtime and imported proxies with plain {@code <reference>} elements. The
 * Blueprint bundle here is an XML file deployed through Karaf's {@code blueprint:} URL handler; it
 * references the runtime and the imported calculator and republishes the calculator with a marker
 * property, which it can only do once both mandatory references are satisfied.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BlueprintIT extends HalibutTestSupport {

    private static final String BLUEPRINT = """
            <?xml version="1.0" encoding="UTF-8"?>
            <blueprint xmlns="http://www.osgi.org/xmlns/blueprint/v1.0.0">
              <reference id="runtime" interface="dev.halibut.runtime.HalibutRuntime"/>
              <reference id="calculator" interface="dev.halibut.examples.calculator.Calculator"
                         filter="(service.imported=true)"/>
              <service ref="calculator" interface="dev.halibut.examples.calculator.Calculator">
                <service-properties>
                  <entry key="itest.via" value="blueprint"/>
                </service-properties>
              </service>
            </blueprint>
            """;

    private Configuration importConfiguration;
    private Bundle blueprintBundle;
    private Path blueprintFile;

    @After
    public void cleanUp() throws Exception {
        if (blueprintBundle != null) {
            blueprintBundle.uninstall();
        }
        if (importConfiguration != null) {
            importConfiguration.delete();
        }
        if (blueprintFile != null) {
            Files.deleteIfExists(blueprintFile);
            Files.deleteIfExists(blueprintFile.getParent());
        }
    }

    @Test
    public void aBlueprintReferenceReceivesTheImportedProxyAndCallsThroughIt() throws Exception {
        featuresService.installFeature("aries-blueprint", EnumSet.noneOf(FeaturesService.Option.class));
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        RuntimeState runtime = configureListeningRuntime(null, s -> true, own);
        importConfiguration = createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", "https://127.0.0.1:" + runtime.port() + "/",
                "thumbprint", runtime.thumbprint(),
                "interfaces", CALCULATOR));

        // Karaf's deployer derives the bundle's name and version from the file name: keep it plain.
        blueprintFile = Files.createTempDirectory("halibut-itest-").resolve("calculator-blueprint.xml");
        Files.writeString(blueprintFile, BLUEPRINT, StandardCharsets.UTF_8);
        blueprintBundle = bundleContext.installBundle("blueprint:" + blueprintFile.toUri());
        blueprintBundle.start();

        ServiceReference<?> republished = Await.value("the calculator republished by the Blueprint bundle",
                () -> viaBlueprint());
        assertEquals(blueprintBundle, republished.getBundle());
        Calculator calculator = (Calculator) bundleContext.getService(republished);
        try {
            assertEquals(3, calculator.add(1, 2));
            assertEquals(5, calculator.divide(10, 2));
        } finally {
            bundleContext.ungetService(republished);
        }
    }

    private ServiceReference<?> viaBlueprint() {
        try {
            ServiceReference<?>[] refs = bundleContext.getServiceReferences(CALCULATOR, "(itest.via=blueprint)");
            return refs == null ? null : refs[0];
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }
}
