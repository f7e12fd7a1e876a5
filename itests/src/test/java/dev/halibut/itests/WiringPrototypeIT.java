package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.FeaturesService;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WiringPrototypeIT {

    @Inject
    BundleContext bundleContext;

    @Inject
    BootFinished bootFinished;

    @Inject
    FeaturesService features;

    @Inject
    ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return KarafContainer.options(getClass());
    }

    @Test
    public void scrInstallsAndEveryBundleIsActive() throws Exception {
        features.installFeature("scr", EnumSet.noneOf(FeaturesService.Option.class));
        assertTrue(features.isInstalled(features.getFeature("scr")));
        assertEquals("0.1.0-SNAPSHOT", System.getProperty("halibut.version"));
        Await.value("ServiceComponentRuntime", () -> bundleContext.getServiceReference(ServiceComponentRuntime.class));
        List<String> notActive = Stream.of(bundleContext.getBundles())
                .filter(b -> b.getState() != (b.getHeaders().get(Constants.FRAGMENT_HOST) != null ? Bundle.RESOLVED : Bundle.ACTIVE))
                .map(b -> b.getSymbolicName() + " " + b.getState()).collect(Collectors.toList());
        assertTrue(notActive.toString(), notActive.isEmpty());
        assertNotNull(System.getProperty("karaf.data"));
    }
}
