package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import dev.halibut.runtime.Certificates;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The halibut:* commands run as a script runs them: Karaf's own {@code bin/client} (a separate JVM) over
 * the container's SSH port, with the commands as arguments (an SSH exec request, like
 * {@code ssh -p 8101 user@host 'halibut:trust zz'}) or on standard input with {@code -b}. A refusal must
 * reach the script as text and as a non-zero exit status; a command that did its job exits 0.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellScriptIT extends ShellTestSupport {

    private static final String USER = "scripter";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(90);

    private Path karafHome;
    private String sshPort;

    /** Annotated again: Pax Exam looks for the annotation on the method the class has, and an override hides the inherited one. */
    @Override
    @Configuration
    public Option[] config() {
        // Karaf 4.4 ships no enabled user; the ssh role lets this one log in over SSH.
        return OptionUtils.combine(super.config(),
                editConfigurationFilePut("etc/users.properties", USER, USER + ",admin,manager,viewer,systembundles,ssh"));
    }

    @Override
    protected boolean bootExampleFeature() {
        return false;
    }

    @Before
    public void awaitTheCommandsAndTheSshServer() throws Exception {
        awaitRuntime("the Halibut runtime", s -> true);
        awaitHalibutCommands();
        karafHome = Path.of(System.getProperty("karaf.home"));
        sshPort = String.valueOf(Await.value("Karaf's SSH server to be listening", this::boundSshPort));
    }

    /**
     * The port Karaf's SSH server listens on, once it does (the container configures port 0, see KarafContainer);
     * null before. Asked of the server itself, through its service: MINA's {@code SshServer.getPort()} gives the
     * bound port once started. Reflection, because the test bundle does not wire to the SSH bundle's packages.
     */
    private Integer boundSshPort() {
        ServiceReference<?>[] refs;
        try {
            refs = bundleContext.getServiceReferences("org.apache.sshd.server.SshServer", null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs == null) {
            return null;
        }
        for (ServiceReference<?> ref : refs) {
            Object server = bundleContext.getService(ref);
            try {
                if (server != null && (Boolean) server.getClass().getMethod("isStarted").invoke(server)) {
                    int port = (Integer) server.getClass().getMethod("getPort").invoke(server);
                    if (port > 0) {
                        return port;
                    }
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Cannot ask Karaf's SshServer " + server + " for its port", e);
            } finally {
                bundleContext.ungetService(ref);
            }
        }
        return null;
    }

    @Test
    public void aRefusedCommandPrintsWhyAndFailsTheScript() throws Exception {
        Client trust = client(null, "halibut:trust not-a-thumbprint");
        assertNotEquals(trust.toString(), 0, trust.exitStatus());
        assertContains(trust, "Error executing command: 'not-a-thumbprint' is not a thumbprint: expected 40 hex characters");

        Client untrust = client(null, "halibut:untrust zz");
        assertNotEquals(untrust.toString(), 0, untrust.exitStatus());
        assertContains(untrust, "Error executing command: 'zz' is not a thumbprint: expected 40 hex characters");

        Client ping = client(null, "halibut:ping poll://unknown/");
        assertNotEquals(ping.toString(), 0, ping.exitStatus());
        assertContains(ping, "Error executing command: No thumbprint given, and no dev.halibut.import configuration"
                + " names poll://unknown/");
    }

    @Test
    public void commandsOnStandardInputStopAtTheFirstRefusal() throws Exception {
        String peer = Certificates.thumbprint(Certificates.generateSelfSigned("batch-peer").certificate());

        Client run = client("halibut:trust " + peer + "\nhalibut:untrust zz\nhalibut:untrust " + peer + "\n", "-b");

        assertNotEquals(run.toString(), 0, run.exitStatus());
        assertContains(run, "Trusted " + peer + ": added to trusted.thumbprints of dev.halibut.runtime");
        assertContains(run, "Error executing command: 'zz' is not a thumbprint");
        assertTrue("the script stops at the refusal: " + run, !run.output().contains("Removed " + peer));
        client(null, "halibut:untrust " + peer); // leave the trust as it was
    }

    @Test
    public void commandsThatDoTheirJobExitZero() throws Exception {
        String peer = Certificates.thumbprint(Certificates.generateSelfSigned("script-peer").certificate());

        Client trust = client(null, "halibut:trust " + peer);
        assertEquals(trust.toString(), 0, trust.exitStatus());
        assertContains(trust, "Trusted " + peer);

        Client batch = client("halibut:trusted\nhalibut:untrust " + peer + "\n", "-b");
        assertEquals(batch.toString(), 0, batch.exitStatus());
        assertContains(batch, peer);
        assertContains(batch, "Removed " + peer);

        Client status = client(null, "halibut:status");
        assertEquals(status.toString(), 0, status.exitStatus());
        assertContains(status, "Thumbprint   ");
    }

    /** What one run of {@code bin/client} printed (standard output and error together) and its exit status. */
    private record Client(List<String> command, int exitStatus, String output, Supplier<String> serverLog) {
        /** For failure messages: with what the container logged about SSH (read only when a test fails). */
        @Override
        public String toString() {
            return String.join(" ", command) + " exited " + exitStatus + ", printing:\n" + output + serverLog.get();
        }
    }

    /**
     * Runs {@code bin/client} against this container as {@value #USER}, with {@code stdin} as its standard
     * input (kept open until it exits when null: without {@code -b}, the client closes the channel when
     * its input ends) and {@code arguments} after the connection options.
     */
    private Client client(String stdin, String... arguments) throws Exception {
        // Through sh: the unpacked container's scripts need not have their executable bit.
        List<String> command = new ArrayList<>(List.of("sh", karafHome.resolve("bin/client").toString(),
                "-h", InetAddress.getLoopbackAddress().getHostAddress(), "-a", sshPort.trim(), "-u", USER, "-p", USER,
                "-r", "3"));
        command.addAll(List.of(arguments));
        Path output = Files.createTempFile("halibut-client-", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).directory(karafHome.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
                in.close();
            }
            if (!process.waitFor(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not end within " + CLIENT_TIMEOUT
                        + "; it printed:\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
        } finally {
            process.destroyForcibly();
        }
        Client run = new Client(command, process.exitValue(), Files.readString(output, StandardCharsets.UTF_8),
                this::sshServerLog);
        Files.deleteIfExists(output);
        System.out.println("$ " + String.join(" ", command) + " exited " + run.exitStatus() + ", printing:\n" + run.output());
        return run;
    }

    /** What the container logged about its SSH server: why a session was closed shows there, not in the client. */
    private String sshServerLog() {
        Path log;
        try {
            Object file = configurationAdmin.getConfiguration("org.ops4j.pax.logging", null).getProperties()
                    .get("log4j2.appender.rolling.fileName");
            log = Path.of(String.valueOf(file));
        } catch (IOException | RuntimeException e) {
            return "\n(the container's log file is not known: " + e + ")";
        }
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.toLowerCase(Locale.ROOT).contains("ssh"))
                    .reduce("\nWhat " + log + " says about SSH:", (all, line) -> all + "\n" + line);
        } catch (IOException | UncheckedIOException e) {
            return "\n(the container's log " + log + " cannot be read: " + e + ")";
        }
    }

    private static void assertContains(Client run, String expected) {
        if (!run.output().contains(expected)) {
            throw new AssertionError("expected the output to contain \"" + expected + "\" but " + run);
        }
    }
}
