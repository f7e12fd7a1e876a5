package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
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
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The distribution boots {@code halibut}; {@code halibut-example} installs on top; everything starts; the
 * Halibut bundles let other bundles import only their public packages (docs/modules.md).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FeatureInstallIT extends HalibutTestSupport {

    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    /** What users may import: the API, the runtime, the queue SPI and the registry's API (docs/modules.md). */
    private static final Set<String> PUBLIC_PACKAGES = Set.of("dev.halibut", "dev.halibut.runtime", "dev.halibut.polling",
            "dev.halibut.registry", "dev.halibut.registry.config");
    /** The machinery Halibut's bundles share, exported with the mandatory attribute halibut.internal=true. */
    private static final Set<String> INTERNAL_PACKAGES = Set.of("dev.halibut.wire", "dev.halibut.transport",
            "dev.halibut.polling.internal", "dev.halibut.registry.distribution");

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

    /**
     * The packages of the bundles the {@code halibut} feature installs, as the framework sees them: those
     * without a mandatory attribute are exactly the public ones; the machinery is exported only with
     * {@code mandatory:=halibut.internal}.
     */
    @Test
    public void halibutBundlesExportOnlyTheirApiWithoutTheInternalAttribute() {
        Set<String> open = new TreeSet<>();
        Set<String> internal = new TreeSet<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            String bsn = bundle.getSymbolicName();
            if (bsn == null || !bsn.startsWith("dev.halibut.") || bsn.startsWith("dev.halibut.example")) {
                continue;
            }
            for (BundleCapability export : bundle.adapt(BundleRevision.class)
                    .getDeclaredCapabilities(BundleRevision.PACKAGE_NAMESPACE)) {
                String name = (String) export.getAttributes().get(BundleRevision.PACKAGE_NAMESPACE);
                String mandatory = export.getDirectives().get(Constants.MANDATORY_DIRECTIVE);
                if (mandatory == null) {
                    open.add(name);
                } else {
                    assertEquals("mandatory attribute of " + name + " (" + bsn + ")", "halibut.internal", mandatory);
                    assertEquals("halibut.internal of " + name + " (" + bsn + ")", "true",
                            String.valueOf(export.getAttributes().get("halibut.internal")));
                    internal.add(name);
                }
            }
        }
        assertEquals("packages any bundle may import", new TreeSet<>(PUBLIC_PACKAGES), open);
        assertEquals("packages only Halibut's bundles import", new TreeSet<>(INTERNAL_PACKAGES), internal);
    }

    /**
     * A bundle that imports an internal package plainly does not resolve, while the same import naming
     * {@code halibut.internal=true} does: the package is there, and only the attribute keeps a user's
     * bundle away from it.
     */
    @Test
    public void aPlainImportOfAnInternalPackageDoesNotResolve() throws Exception {
        FrameworkWiring wiring = bundleContext.getBundle(0).adapt(FrameworkWiring.class);
        for (String name : INTERNAL_PACKAGES) {
            Bundle plain = installImporter("plain", name);
            Bundle marked = installImporter("marked", name + ";halibut.internal=true");
            try {
                assertFalse("a bundle importing " + name + " without the attribute resolves",
                        wiring.resolveBundles(List.of(plain)));
                assertEquals("state of the bundle importing " + name + " plainly", Bundle.INSTALLED, plain.getState());
                assertTrue("a bundle importing " + name + " with halibut.internal=true does not resolve",
                        wiring.resolveBundles(List.of(marked)));
            } finally {
                plain.uninstall();
                marked.uninstall();
            }
        }
    }

    /** Installs a bundle that has no classes and one {@code Import-Package} clause. */
    private Bundle installImporter(String kind, String importClause) throws Exception {
        String bsn = "dev.halibut.itests.importer." + kind + "." + importClause.replaceAll("[^A-Za-z0-9.]", "");
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        main.putValue(Constants.BUNDLE_SYMBOLICNAME, bsn);
        main.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        main.putValue(Constants.IMPORT_PACKAGE, importClause);
        return bundleContext.installBundle("itest:" + bsn, new ByteArrayInputStream(jar(manifest)));
    }

    private static byte[] jar(Manifest manifest) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            out.flush();
        }
        return bytes.toByteArray();
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
