package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Dictionary;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;

/**
 * Every halibut:* command run in Karaf through a shell session, its output checked against what the runtime
 * and Config Admin say. The container's runtime listens on loopback and trusts itself, so it can call,
 * poll and ping itself.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellCommandsIT extends ShellTestSupport {

    private static final String SUBSCRIPTION = "poll://calculator/";

    private RuntimeState runtime;
    private String listener;
    private final List<Configuration> configurations = new ArrayList<>();

    @Before
    public void listenOnLoopbackAndTrustOurselves() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        runtime = configureListeningRuntime(properties("polling.collection.timeout", "3s"),
                s -> s.runtime().limits().pollingCollectionTimeout().getSeconds() == 3, own);
        listener = "https://127.0.0.1:" + runtime.port() + "/";
        awaitHalibutCommands();
    }

    @After
    public void deleteConfigurations() throws Exception {
        for (Configuration c : configurations) {
            c.delete();
        }
    }

    /** The service host polls our own listener for poll://calculator/, and we import the calculator from it. */
    private Calculator pollOurselves() throws Exception {
        configurations.add(createFactoryConfiguration(POLL_FACTORY_PID, properties(
                "subscription", SUBSCRIPTION, "endpoint", listener, "thumbprint", runtime.thumbprint())));
        configurations.add(createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", SUBSCRIPTION, "thumbprint", runtime.thumbprint(), "interfaces", CALCULATOR)));
        Await.until("the poller of " + SUBSCRIPTION + " to connect", () -> runtime.runtime().status().subscriptions()
                .stream().anyMatch(s -> s.connected() == 1));
        return runtime.runtime().createClient(Calculator.class,
                new ServiceEndPoint(URI.create(SUBSCRIPTION), runtime.thumbprint()));
    }

    @Test
    public void statusShowsTheRuntimeItsExportsImportsAndPollingSubscriptions() throws Exception {
        pollOurselves();
        Await.until("the polling import to be registered",
                () -> !importedCalculators("(halibut.endpoint=" + SUBSCRIPTION + ")").isEmpty());

        String status = execute("halibut:status");

        assertContains(status, "Thumbprint   " + runtime.thumbprint());
        assertContains(status, "Listening    127.0.0.1:" + runtime.port());
        assertContains(status, "Trusted      1 thumbprint(s)");
        assertTrue("the example's exported calculator: " + status,
                hasRow(status, "Calculator", "dev.halibut.examples.calculator.Calculator", "dev.halibut.example-calculator-service"));
        assertTrue("the import, registered: " + status, hasRow(status, SUBSCRIPTION, runtime.thumbprint(), CALCULATOR,
                "registered"));
        assertTrue("the polling subscription, connected: " + status,
                hasRow(status, SUBSCRIPTION, listener, runtime.thumbprint(), "1/1"));
        assertTrue(status, Pattern.compile("Calls made +\\d+ \\(\\d+ failed").matcher(status).find());
    }

    @Test
    public void trustAndUntrustChangeTheConfigurationAndTheRunningRuntime() throws Exception {
        String peer = Certificates.thumbprint(Certificates.generateSelfSigned("peer").certificate());
        // As on an operator's Karaf: the configuration is linked to etc/dev.halibut.runtime.cfg (the test setup's
        // update replaced its properties, link included; the values stay as they are, so the runtime does too).
        Path cfg = Path.of(System.getProperty("karaf.etc"), RUNTIME_PID + ".cfg");
        Configuration configuration = configurationAdmin.getConfiguration(RUNTIME_PID, ANY_LOCATION);
        Dictionary<String, Object> linked = configuration.getProperties();
        linked.put("felix.fileinstall.filename", cfg.toUri().toString());
        configuration.update(linked);

        String trusted = execute("halibut:trust " + peer.toLowerCase());
        assertContains(trusted, "Trusted " + peer + ": added to trusted.thumbprints of dev.halibut.runtime (2 thumbprint(s))");
        assertContains(trusted, "The running runtime trusts it now.");
        assertTrue("the configuration holds it", configuredTrust().contains(peer));
        assertTrue(runtime.runtime().isTrusted(peer));
        assertEquals("a trust change keeps the runtime", runtime.serviceId(), awaitRuntime("the runtime", s -> true).serviceId());
        assertContains(execute("halibut:trust " + peer), peer + " is trusted already");
        // Karaf writes the configuration back to the file it came from, so the change survives a restart.
        Await.until(() -> cfg + " to name " + peer, () -> fileContains(cfg, peer));

        String list = execute("halibut:trusted");
        assertTrue(list, hasRow(list, peer, "yes", "trusted", "0"));
        assertTrue(list, hasRow(list, runtime.thumbprint(), "yes", "trusted"));

        String untrusted = execute("halibut:untrust " + peer);
        assertContains(untrusted, "Removed " + peer + " from trusted.thumbprints of dev.halibut.runtime (1 thumbprint(s) left)");
        assertContains(untrusted, "The running runtime no longer trusts it.");
        assertFalse(configuredTrust().contains(peer));
        assertFalse(runtime.runtime().isTrusted(peer));
        assertFalse(execute("halibut:trusted").contains(peer));
        Await.until(() -> cfg + " not to name " + peer + " any more", () -> !fileContains(cfg, peer));
        assertContains(execute("halibut:untrust " + peer), peer + " is not trusted.");
        assertRefused("halibut:trust not-a-thumbprint", "'not-a-thumbprint' is not a thumbprint: expected 40 hex characters");
        assertRefused("halibut:untrust zz", "'zz' is not a thumbprint: expected 40 hex characters");
        assertEquals("a refused command changes nothing", List.of(runtime.thumbprint()), configuredTrust());
    }

    @Test
    public void connectionsListsPooledAndInboundConnectionsAndTheConnectionLog() throws Exception {
        Calculator calculator = runtime.runtime().createClient(Calculator.class,
                new ServiceEndPoint(URI.create(listener), runtime.thumbprint()));
        assertEquals(3, calculator.add(1, 2));

        String connections = execute("halibut:connections");
        assertTrue("the pooled connection to our listener: " + connections,
                hasRow(connections, listener, runtime.thumbprint(), "1", "0"));
        assertTrue("the same connection, inbound: " + connections, hasRow(connections,
                "listen://127.0.0.1:" + runtime.port() + "/", runtime.thumbprint(), "caller", "1"));

        String log = execute("halibut:connections --log " + listener.toUpperCase().replace("HTTPS", "https"));
        assertContains(log, "Connection log of " + listener);
        assertTrue(log, Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Connection to "
                + Pattern.quote(listener) + " opened \\(certificate " + runtime.thumbprint() + "\\)").matcher(log).find());
        String inboundLog = execute("halibut:connections -l listen://127.0.0.1:" + runtime.port() + "/");
        assertContains(inboundLog, "INFO  Caller /127.0.0.1:");
        assertContains(execute("halibut:connections --log https://nowhere:1/"), "Nothing logged for https://nowhere:1/");
    }

    @Test
    public void queueShowsRequestsWaitingForAPollingServiceHost() throws Exception {
        Calculator nobody = runtime.runtime().createClient(Calculator.class,
                new ServiceEndPoint(URI.create("poll://nobody/"), runtime.thumbprint()));
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                nobody.add(1, 2);
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "itest-queued-call");
        caller.start();
        try {
            AtomicReference<String> queue = new AtomicReference<>();
            Await.until(() -> "halibut:queue to list the waiting request; it printed " + queue.get(), () -> {
                try {
                    queue.set(execute("halibut:queue"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return hasRow(queue.get(), "poll://nobody/", "1")
                        && Pattern.compile("poll://nobody/.*\\d (ms|s)").matcher(queue.get()).find();
            });
        } finally {
            caller.join(30_000);
        }
        assertTrue("the call is not collected: " + outcome.get(), outcome.get() instanceof HalibutClientException);
        String after = execute("halibut:queue");
        assertFalse("an expired request leaves the queue: " + after, after.contains("poll://nobody/"));
    }

    @Test
    public void pingTimesAListeningAndAPollingEndpoint() throws Exception {
        String direct = execute("halibut:ping --count 2 " + listener + " " + runtime.thumbprint());
        assertContains(direct, "PING " + listener + " (" + runtime.thumbprint() + ")");
        assertTrue(direct, Pattern.compile("1: handshake [\\d.]+ m?s, round trip [\\d.]+ m?s").matcher(direct).find());
        assertContains(direct, "2 answered, 0 failed, round trip min/avg/max");

        pollOurselves();
        String polled = execute("halibut:ping " + SUBSCRIPTION); // the thumbprint comes from the import configuration
        assertTrue(polled, Pattern.compile("1: collected after [\\d.]+ m?s, round trip [\\d.]+ m?s").matcher(polled).find());

        String wrong = Certificates.thumbprint(Certificates.generateSelfSigned("someone else").certificate());
        Outcome refused = refusal("halibut:ping " + listener + " " + wrong);
        assertContains(refused.output(), "1: failed: ");
        assertContains(refused.output(), wrong);
        assertContains(refused.message(), listener + " did not answer the ping: ");
        assertRefused("halibut:ping poll://unknown/", "No thumbprint given, and no dev.halibut.import configuration names poll://unknown/");
        assertRefused("halibut:ping --count 0 " + listener + " " + runtime.thumbprint(), "--count must be 1 or more");
    }

    @Test
    public void certificateShowsTheRuntimesCertificateAndItsPem() throws Exception {
        String shown = execute("halibut:certificate --pem");
        assertContains(shown, "Thumbprint   " + runtime.thumbprint());
        assertContains(shown, "(self-signed)");
        assertContains(shown, "Key          EC 256 bits, signed with SHA256withECDSA");
        assertContains(shown, System.getProperty("karaf.data") + "/halibut/halibut.p12 (generated on first start)");
        Matcher pem = Pattern.compile("-----BEGIN CERTIFICATE-----\\s+(.+?)-----END CERTIFICATE-----", Pattern.DOTALL)
                .matcher(shown);
        assertTrue(shown, pem.find());
        X509Certificate decoded = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Base64.getMimeDecoder().decode(pem.group(1))));
        assertEquals("the PEM is the runtime's certificate", runtime.thumbprint(), Certificates.thumbprint(decoded));
    }

    @Test
    public void argumentsCompleteFromTheRuntimeAndTheConfiguration() throws Exception {
        pollOurselves();
        Calculator calculator = runtime.runtime().createClient(Calculator.class,
                new ServiceEndPoint(URI.create(listener), runtime.thumbprint()));
        assertEquals(3, calculator.add(1, 2));
        // A stranger is refused: its thumbprint is what halibut:trust offers.
        CertificateAndKey strangerId = Certificates.generateSelfSigned("stranger");
        String stranger = Certificates.thumbprint(strangerId.certificate());
        try (HalibutRuntime strangerRuntime = HalibutRuntime.builder()
                .certificate(strangerId.certificate(), strangerId.privateKey()).build()) {
            Calculator refused = strangerRuntime.createClient(Calculator.class,
                    new ServiceEndPoint(URI.create(listener), runtime.thumbprint()));
            try {
                refused.add(1, 2);
                fail("an untrusted caller is refused");
            } catch (HalibutClientException expected) {
                // refused in the handshake
            }
        }
        Await.until("the refusal of " + stranger + " in the connection log", () -> runtime.runtime()
                .connectionLog("listen://127.0.0.1:" + runtime.port() + "/").stream().anyMatch(e -> e.message().contains(stranger)));

        assertEquals(List.of(stranger), complete("halibut", "trust", ""));
        assertEquals(List.of(runtime.thumbprint()), complete("halibut", "untrust", ""));
        List<String> endpoints = complete("halibut", "connections", "--log", "");
        assertTrue(endpoints.toString(), endpoints.containsAll(List.of(listener, SUBSCRIPTION,
                "listen://127.0.0.1:" + runtime.port() + "/")));
        assertTrue(complete("halibut", "ping", "poll://").contains(SUBSCRIPTION));
        assertEquals(List.of(runtime.thumbprint()), complete("halibut", "ping", SUBSCRIPTION, ""));
    }

    @Test
    public void everyCommandHasHelp() throws Exception {
        for (String command : List.of("status", "trust", "untrust", "trusted", "connections", "queue", "certificate", "ping")) {
            String help = execute("halibut:" + command + " --help");
            assertContains(help, "DESCRIPTION");
            assertContains(help, "halibut:" + command);
        }
        assertContains(execute("halibut:ping --help"), "endpoint");
        assertContains(execute("halibut:connections --help"), "--log");
    }

    /** The command refused as Karaf's own argument errors do (CommandException), with this in its message. */
    private void assertRefused(String command, String expectedMessage) throws Exception {
        Outcome outcome = refusal(command);
        assertEquals(command, "org.apache.karaf.shell.support.CommandException", outcome.thrown().getClass().getName());
        assertContains(outcome.message(), expectedMessage);
    }

    private static boolean fileContains(Path file, String text) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> configuredTrust() throws Exception {
        Object value = configurationAdmin.getConfiguration(RUNTIME_PID, ANY_LOCATION).getProperties().get("trusted.thumbprints");
        List<String> out = new ArrayList<>();
        if (value instanceof String[] array) {
            out.addAll(List.of(array));
        } else if (value != null) {
            out.addAll(List.of(value.toString().split(",")));
        }
        return out;
    }

    /**
     * Whether a table row holds these cells, in this order (other cells may lie between them). Karaf's
     * ShellTable separates cells with '|' (or '│' on a UTF-8 console).
     */
    private static boolean hasRow(String output, String... cells) {
        for (String line : output.split("\\R")) {
            String[] actual = line.split("[|\u2502]");
            int next = 0;
            for (String cell : actual) {
                if (next < cells.length && cell.trim().equals(cells[next])) {
                    next++;
                }
            }
            if (next == cells.length) {
                return true;
            }
        }
        return false;
    }

    private static void assertContains(String output, String expected) {
        if (!output.contains(expected)) {
            fail("expected the output to contain \"" + expected + "\" but it was:\n" + output);
        }
    }
}
