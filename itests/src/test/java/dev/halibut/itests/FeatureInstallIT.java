package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.karaf.features.Feature;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/** The distribution boots {@code halibut}; {@code halibut-example} installs on top; everything starts. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FeatureInstallIT extends HalibutTestSupport {

    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    /** This class installs halibut-example itself, through the FeaturesService, as an operator would. */
    @Override
    protected boolean bootExampleFeature() {
        return false;
    }

    @Before
    public void installExample() throws Exception {
        installExampleFeature();
    }

    @Test
    public void halibutAndHalibutExampleFeaturesAreInstalledInTheProjectVersion() throws Exception {
        Version expected = projectVersion();
        for (String name : List.of("halibut", "halibut-example")) {
            Feature feature = featuresService.getFeature(name);
            assertTrue("feature " + name + " is known", feature != null);
            assertTrue("feature " + name + " is installed", featuresService.isInstalled(feature));
            assertEquals("version of feature " + name, expected, Version.parseVersion(feature.getVersion()));
        }
        for (String bsn : List.of("dev.halibut.api", "dev.halibut.runtime", "dev.halibut.registry")) {
            Bundle bundle = Stream.of(bundleContext.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                    .orElseThrow(() -> new AssertionError("no bundle " + bsn));
            Version actual = bundle.getVersion(); // bnd turns SNAPSHOT into a timestamp qualifier
            assertEquals("version of bundle " + bsn, new Version(expected.getMajor(), expected.getMinor(), expected.getMicro()),
                    new Version(actual.getMajor(), actual.getMinor(), actual.getMicro()));
        }
    }

    @Test
    public void everyBundleIsActiveAndEveryFragmentResolved() {
        Await.until(() -> "every bundle ACTIVE (fragments RESOLVED); these are not: " + bundlesInWrongState(),
                () -> bundlesInWrongState().isEmpty());
    }

    @Test
    public void halibutRuntimeServiceIsRegisteredWithAThumbprint() {
        RuntimeState runtime = awaitRuntime("a registered dev.halibut.runtime.HalibutRuntime", s -> true);
        assertTrue("halibut.thumbprint is 40 hex characters: " + runtime.thumbprint(),
                runtime.thumbprint() != null && runtime.thumbprint().matches("[0-9A-Fa-f]{40}"));
        assertTrue("the property is the runtime's own thumbprint",
                runtime.thumbprint().equalsIgnoreCase(runtime.runtime().thumbprint()));
        assertEquals("one runtime per framework", 1, runtimes().size());
    }

    @Test
    public void generatedKeystoreIsUnderKarafDataAndHoldsTheRuntimesCertificate() throws Exception {
        RuntimeState runtime = awaitRuntime("a registered dev.halibut.runtime.HalibutRuntime", s -> true);
        Path directory = Path.of(System.getProperty("karaf.data"), "halibut");
        Path keystore = directory.resolve("halibut.p12");
        Path passwordFile = directory.resolve("halibut.p12.password");
        assertTrue(keystore + " exists", Files.isRegularFile(keystore));
        assertTrue(passwordFile + " exists", Files.isRegularFile(passwordFile));
        assertEquals(keystore + " is readable by its owner only", PosixFilePermissions.toString(OWNER_ONLY),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(keystore)));
        assertEquals(passwordFile + " is readable by its owner only", PosixFilePermissions.toString(OWNER_ONLY),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));

        String password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        CertificateAndKey identity = Certificates.loadPkcs12(keystore, password.toCharArray());
        assertTrue("the keystore holds the runtime's certificate",
                Certificates.thumbprint(identity.certificate()).equalsIgnoreCase(runtime.thumbprint()));
    }

    private List<String> bundlesInWrongState() {
        return Stream.of(bundleContext.getBundles())
                .filter(b -> b.getState() != (isFragment(b) ? Bundle.RESOLVED : Bundle.ACTIVE))
                .map(b -> b.getSymbolicName() + " " + b.getVersion() + " in state " + b.getState())
                .collect(Collectors.toList());
    }

    private static boolean isFragment(Bundle bundle) {
        return bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
    }

    /** The build's project version as an OSGi version (0.1.0-SNAPSHOT is 0.1.0.SNAPSHOT). */
    private static Version projectVersion() {
        String version = System.getProperty("halibut.version");
        int dash = version.indexOf('-');
        return Version.parseVersion(dash < 0 ? version : version.substring(0, dash) + "." + version.substring(dash + 1));
    }
}
