package dev.halibut.itests;

import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOptions;
import static org.ops4j.pax.exam.CoreOptions.when;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;

/**
 * The Pax Exam configuration of the container every test class boots: the Karaf distribution the build
 * copied into {@code target/karaf} (the project's own assembly, so nothing of the project is fetched from
 * a Maven repository), unpacked under {@code target/exam} and deleted after its class, with its log kept in
 * {@code target/karaf-logs/<test class>/karaf.log}.
 *
 * <p>Runs in the test driver (the failsafe JVM), which the build gives these system properties:
 * {@code halibut.itest.karaf.file}, {@code halibut.itest.karaf.featuresCfg} (the distribution's
 * {@code etc/org.apache.karaf.features.cfg}), {@code halibut.itest.karaf.version}, {@code halibut.itest.target},
 * {@code halibut.version} and {@code halibut.itest.localRepository}. {@code -Dhalibut.itest.keepRuntime=true}
 * keeps the unpacked containers for a post-mortem.
 */
final class KarafContainer {

    private static final String MVN_CFG = "etc/org.ops4j.pax.url.mvn.cfg";
    private static final String LOGGING_CFG = "etc/org.ops4j.pax.logging.cfg";
    private static final String MANAGEMENT_CFG = "etc/org.apache.karaf.management.cfg";
    /** Exactly Pax Exam's path for this file, so that its own additions to featuresBoot apply after ours. */
    private static final String FEATURES_CFG = "etc/org.apache.karaf.features.cfg";

    private KarafContainer() {
    }

    static Option[] options(Class<?> testClass, List<String> bootFeatures) {
        File target = new File(required("halibut.itest.target"));
        File distribution = new File(required("halibut.itest.karaf.file"));
        if (!distribution.isFile()) {
            throw new IllegalStateException("The Karaf distribution " + distribution + " does not exist: run the build"
                    + " through the pre-integration-test phase (mvn verify), which copies it there");
        }
        File logDir = new File(target, "karaf-logs/" + testClass.getSimpleName());
        deleteLogsOfEarlierRuns(logDir);
        String loopback = InetAddress.getLoopbackAddress().getHostAddress();
        String karafVersion = required("halibut.itest.karaf.version");
        int[] rmiPorts = PortOutsideEphemeralRange.pick(2, InetAddress.getLoopbackAddress());
        return org.ops4j.pax.exam.CoreOptions.options(
                karafDistributionConfiguration()
                        .frameworkUrl(distribution.toURI().toString())
                        .name("Halibut Karaf distribution")
                        .karafVersion(karafVersion)
                        .unpackDirectory(new File(target, "exam"))
                        .useDeployFolder(false),
                when(Boolean.getBoolean("halibut.itest.keepRuntime")).useOptions(keepRuntimeFolder()),
                javaModuleOptions(karafVersion),
                logLevel(LogLevel.INFO),
                // The Karaf log outlives the container folder, for diagnosis.
                editConfigurationFilePut(LOGGING_CFG, "log4j2.appender.rolling.fileName",
                        new File(logDir, "karaf.log").getAbsolutePath()),
                editConfigurationFilePut(LOGGING_CFG, "log4j2.appender.rolling.append", "true"),
                editConfigurationFilePut(LOGGING_CFG, "log4j2.appender.audit.append", "true"),
                editConfigurationFilePut(LOGGING_CFG, "log4j2.appender.rolling.filePattern",
                        new File(logDir, "karaf.log.%i").getAbsolutePath()),
                editConfigurationFilePut(LOGGING_CFG, "log4j2.appender.audit.fileName",
                        new File(logDir, "security.log").getAbsolutePath()),
                editConfigurationFilePut(LOGGING_CFG, "log4j2.appender.audit.filePattern",
                        new File(logDir, "security-%i.log").getAbsolutePath()),
                configureConsole().ignoreLocalConsole(),
                // Ports chosen per run, never a fixed number: containers of other builds on the same machine must not collide.
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshHost", loopback),
                // Port 0: the SSH server binds a port of its own choosing (ShellScriptIT asks it which). A port picked
                // here and freed would be bound only when the container starts, and in between anything binding
                // port 0 (this container's Halibut listener, for one) may take it: the SSH server then fails to
                // bind, and a client reaches whoever took the port ("Session is being closed").
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", "0"),
                // Karaf's JMX connector cannot take port 0 (see PortOutsideEphemeralRange): fixed ports, picked
                // outside the kernel's ephemeral range, so that no port-0 bind can take them before Karaf binds them.
                editConfigurationFilePut(MANAGEMENT_CFG, "rmiRegistryHost", loopback),
                editConfigurationFilePut(MANAGEMENT_CFG, "rmiRegistryPort", Integer.toString(rmiPorts[0])),
                editConfigurationFilePut(MANAGEMENT_CFG, "rmiServerHost", loopback),
                editConfigurationFilePut(MANAGEMENT_CFG, "rmiServerPort", Integer.toString(rmiPorts[1])),
                // Third-party bundles (Pax Exam's own feature) come from the build's local repository or
                // Maven Central, the only remote repository reachable.
                editConfigurationFilePut(MVN_CFG, "org.ops4j.pax.url.mvn.localRepository",
                        required("halibut.itest.localRepository")),
                editConfigurationFilePut(MVN_CFG, "org.ops4j.pax.url.mvn.repositories",
                        "https://repo1.maven.org/maven2@id=central"),
                systemProperty("halibut.version").value(required("halibut.version")),
                stagedBootFeatures(bootFeatures));
    }

    /**
     * The distribution's boot features and the test class's, as the first stage of Karaf's boot (featuresBoot
     * {@code "(stage 1), stage 2"}); Pax Exam appends its own features ({@code exam}, with the bundle that
     * installs the test probe, and {@code test-dependencies}) after this value, so they form the second stage.
     *
     * <p>Why: the first boot deployment refreshes bundles the features service is wired to, and Karaf starts
     * the features service last, again, in that deployment; the restarted service reloads the region digraph,
     * re-registers its region hooks and provisions the boot features once more (each deployment replaces the
     * digraph). With Pax Exam's bundles in the same stage as everything else, the probe was installed and
     * started in the middle of that, and a probe bundle left in no region is one Karaf's region resolver hook
     * will not let resolve ("Resolver hook prevented resolution"). A later stage is installed by the restarted
     * features service only once the first is complete, so the probe arrives after all of it.
     */
    private static Option stagedBootFeatures(List<String> bootFeatures) {
        List<String> firstStage = new ArrayList<>(distributionBootFeatures());
        firstStage.addAll(bootFeatures);
        return editConfigurationFilePut(FEATURES_CFG, "featuresBoot", "(" + String.join(", ", firstStage) + ")");
    }

    /** featuresBoot of the distribution, which the build unpacks beside it (a single stage, as assembled). */
    private static List<String> distributionBootFeatures() {
        File cfg = new File(required("halibut.itest.karaf.featuresCfg"));
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(cfg.toPath(), StandardCharsets.ISO_8859_1)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + cfg + ", the distribution's features configuration that"
                    + " the build unpacks in the pre-integration-test phase (mvn verify)", e);
        }
        String value = properties.getProperty("featuresBoot", "");
        if (value.contains("(") || value.contains(")")) {
            throw new IllegalStateException("featuresBoot in " + cfg + " is already staged (" + value + "); "
                    + "KarafContainer expects one stage and adds its own: adapt stagedBootFeatures");
        }
        List<String> features = new ArrayList<>();
        for (String feature : value.split(",")) {
            if (!feature.isBlank()) {
                features.add(feature.strip());
            }
        }
        if (features.isEmpty()) {
            throw new IllegalStateException("No featuresBoot in " + cfg);
        }
        return features;
    }

    /**
     * What Karaf's own {@code bin/karaf} passes to a Java 9+ JVM; Pax Exam starts the JVM itself and passes
     * none of it (without them the spec locator is missing and JMX cannot start). The paths are relative to
     * the container's folder, Pax Exam's working directory for the Karaf process.
     */
    private static Option javaModuleOptions(String karafVersion) {
        return vmOptions(
                "-Xmx512m",
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
                "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED");
    }

    /**
     * The log is appended to, not truncated: pax-logging applies its configuration more than once while the
     * container boots, and a truncating appender would drop everything logged before the last time (the
     * boot features' deployment among it). So the earlier run's files go here, before the container starts.
     */
    private static void deleteLogsOfEarlierRuns(File logDir) {
        File[] files = logDir.listFiles();
        if (files == null) {
            return;
        }
        for (File f : files) {
            if (f.isFile() && !f.delete()) {
                throw new IllegalStateException("Cannot delete " + f + ", the Karaf log of an earlier run");
            }
        }
    }

    private static String required(String key) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + key + " is not set: run the itests through Maven"
                    + " (failsafe sets it)");
        }
        return value;
    }
}
