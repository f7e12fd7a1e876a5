package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Dictionary;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * halibut:certificate --generate: a new key store beside the generated one, keystore.path pointing at it,
 * the runtime replaced by one presenting the new certificate, and the old key store left as it was.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CertificateGenerateIT extends ShellTestSupport {

    @Override
    protected boolean bootExampleFeature() {
        return false;
    }

    @Test
    public void generateWritesANewKeyStoreAndRestartsTheRuntimeWithIt() throws Exception {
        RuntimeState before = awaitRuntime("the Halibut runtime", s -> true);
        awaitHalibutCommands();
        Path directory = Path.of(System.getProperty("karaf.data"), "halibut");

        String output = execute("halibut:certificate --generate --cn itest-rotated");

        Matcher thumbprint = Pattern.compile("Thumbprint   ([0-9A-F]{40})").matcher(output);
        assertTrue(output, thumbprint.find());
        String generated = thumbprint.group(1);
        assertNotEquals("a new certificate", before.thumbprint(), generated);
        assertContains(output, "Subject      CN=itest-rotated");
        assertContains(output, "The runtime has restarted with the new certificate.");
        assertContains(output, "WARNING: peers that trust this runtime by its old thumbprint " + before.thumbprint());
        assertContains(output, "halibut:trust " + generated);

        RuntimeState after = awaitRuntime("a runtime presenting the new certificate", s -> s.thumbprint().equals(generated));
        assertNotEquals("the runtime was replaced", before.serviceId(), after.serviceId());
        assertEquals(generated, after.runtime().thumbprint());
        assertEquals("one runtime", 1, runtimes().size());

        Dictionary<String, Object> config = configurationAdmin.getConfiguration(RUNTIME_PID, ANY_LOCATION).getProperties();
        Path keystore = Path.of((String) config.get("keystore.path"));
        assertNull("no password in the configuration", config.get("keystore.password"));
        assertEquals("beside the generated key store", directory, keystore.getParent());
        assertTrue(keystore.getFileName().toString(), keystore.getFileName().toString().matches("halibut-\\d{8}-\\d{6}\\.p12"));
        Path passwordFile = Path.of(keystore + ".password");
        for (Path f : new Path[] {keystore, passwordFile}) {
            assertEquals(f + " is the owner's only", "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
        CertificateAndKey stored = Certificates.loadPkcs12(keystore,
                Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray());
        assertEquals(generated, Certificates.thumbprint(stored.certificate()));

        // The old key store is untouched: pointing keystore.path back would undo the change.
        CertificateAndKey old = Certificates.loadPkcs12(directory.resolve("halibut.p12"),
                Files.readString(directory.resolve("halibut.p12.password"), StandardCharsets.UTF_8).strip().toCharArray());
        assertEquals(before.thumbprint(), Certificates.thumbprint(old.certificate()));

        String shown = execute("halibut:certificate");
        assertContains(shown, "Thumbprint   " + generated);
        assertContains(shown, "Key store    " + keystore + " (keystore.path)");
        // An existing key store is never overwritten: the command refuses (a scripted run fails) and changes nothing.
        assertContains(refusal("halibut:certificate --generate --keystore " + keystore).message(),
                "exists already; choose another --keystore");
        assertEquals(generated, awaitRuntime("the runtime", s -> true).thumbprint());
    }

    private static void assertContains(String output, String expected) {
        if (!output.contains(expected)) {
            fail("expected the output to contain \"" + expected + "\" but it was:\n" + output);
        }
    }
}
