package dev.halibut.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import dev.halibut.ServiceEndPoint;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.registry.HalibutCallsMXBean;
import dev.halibut.registry.HalibutRuntimeMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The runtime's MBeans: registered in the platform MBean server by Karaf's JMX whiteboard, with values that
 * match what happened, and readable over Karaf's JMX connector (RMI, JAAS login, role-based ACL) by a
 * user with only the viewer role.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class JmxIT extends HalibutTestSupport {

    private static final String USER = "jmxviewer";

    private RuntimeState runtime;

    /** Annotated again: Pax Exam looks for the annotation on the method the class has, and an override hides the inherited one. */
    @Override
    @Configuration
    public Option[] config() {
        return OptionUtils.combine(super.config(),
                editConfigurationFilePut("etc/users.properties", USER, USER + ",viewer"));
    }

    @Before
    public void listenOnLoopbackAndTrustOurselves() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        runtime = configureListeningRuntime(null, s -> true, own);
    }

    @Test
    public void mbeansCountCallsAndConnectionsAndAreReadableOverTheJmxConnector() throws Exception {
        MBeanServer platform = ManagementFactory.getPlatformMBeanServer();
        ObjectName runtimeName = new ObjectName(HalibutRuntimeMXBean.OBJECT_NAME);
        ObjectName outgoing = new ObjectName(HalibutCallsMXBean.OUTGOING);
        ObjectName incoming = new ObjectName(HalibutCallsMXBean.INCOMING);
        Await.until("the MBeans of the current runtime", () -> {
            try {
                return platform.isRegistered(runtimeName) && platform.isRegistered(outgoing) && platform.isRegistered(incoming)
                        && runtime.thumbprint().equals(platform.getAttribute(runtimeName, "Thumbprint"))
                        && ((int[]) platform.getAttribute(runtimeName, "ListenPorts")).length == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long callsBefore = (Long) platform.getAttribute(outgoing, "Calls");
        long servedBefore = (Long) platform.getAttribute(incoming, "Calls");

        Calculator calculator = runtime.runtime().createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + runtime.port() + "/"), runtime.thumbprint()));
        assertEquals(3, calculator.add(1, 2));
        assertEquals(5, calculator.divide(10, 2));
        try {
            calculator.divide(1, 0);
            fail("dividing by zero fails on the service side");
        } catch (RuntimeException expected) {
            // the service threw ArithmeticException
        }

        assertArrayEquals(new int[] {runtime.port()}, (int[]) platform.getAttribute(runtimeName, "ListenPorts"));
        assertEquals(callsBefore + 3, platform.getAttribute(outgoing, "Calls"));
        // This class's container is fresh: nothing failed before.
        assertEquals(Long.valueOf(1), failures(platform, outgoing).get("INVOCATION_ERROR"));
        Await.until("the served requests counted", () -> {
            try {
                return (Long) platform.getAttribute(incoming, "Calls") == servedBefore + 3;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(Long.valueOf(1), failures(platform, incoming).get("INVOCATION_ERROR"));
        long histogram = 0;
        for (Object row : ((TabularData) platform.getAttribute(outgoing, "LatencyHistogram")).values()) {
            histogram += (Long) ((CompositeData) row).get("value");
        }
        assertEquals("every call in one latency bucket", platform.getAttribute(outgoing, "Calls"), histogram);
        assertTrue((Integer) platform.getAttribute(runtimeName, "OutboundConnectionsIdle") >= 1);
        assertTrue((Integer) platform.getAttribute(runtimeName, "InboundConnections") >= 1);
        assertTrue((Long) platform.getAttribute(runtimeName, "ConnectionsOpened") >= 2);

        // The same beans over the JMX connector an operator's tool uses, as a user with the viewer role only.
        Map<String, Object> env = new HashMap<>();
        env.put(JMXConnector.CREDENTIALS, new String[] {USER, USER});
        // Retried until a deadline: Karaf starts its connector server and reloads the JAAS users file
        // asynchronously, and a connect in that window fails (once seen as an NPE inside the JDK's RMI client).
        JMXServiceURL url = serviceUrl();
        try (JMXConnector connector = Await.value("a JMX connector login to " + url, () -> {
            try {
                return JMXConnectorFactory.connect(url, env);
            } catch (IOException e) {
                // Await retries on it and, at the deadline, reports the last one as the cause.
                throw new UncheckedIOException(e);
            }
        })) {
            MBeanServerConnection remote = connector.getMBeanServerConnection();
            assertEquals(runtime.thumbprint(), remote.getAttribute(runtimeName, "Thumbprint"));
            assertEquals(platform.getAttribute(outgoing, "Calls"), remote.getAttribute(outgoing, "Calls"));
            TabularData byKind = (TabularData) remote.getAttribute(incoming, "FailuresByKind");
            assertEquals(Long.valueOf(1), byKind.get(new Object[] {"INVOCATION_ERROR"}).get("value"));
            assertTrue((Double) remote.getAttribute(outgoing, "LatencyMeanMillis") > 0);
        }
    }

    private static Map<String, Long> failures(MBeanServer server, ObjectName name) throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (Object row : ((TabularData) server.getAttribute(name, "FailuresByKind")).values()) {
            CompositeData d = (CompositeData) row;
            out.put((String) d.get("key"), (Long) d.get("value"));
        }
        return out;
    }

    /** Karaf's RMI connector, from its configuration (the container's ports are chosen per run). */
    private JMXServiceURL serviceUrl() throws Exception {
        Dictionary<String, Object> c = configurationAdmin.getConfiguration("org.apache.karaf.management", null).getProperties();
        String registryHost = String.valueOf(c.get("rmiRegistryHost"));
        String serverHost = String.valueOf(c.get("rmiServerHost"));
        return new JMXServiceURL("service:jmx:rmi://" + host(serverHost) + ":" + c.get("rmiServerPort") + "/jndi/rmi://"
                + host(registryHost) + ":" + c.get("rmiRegistryPort") + "/karaf-" + System.getProperty("karaf.name"));
    }

    private static String host(String configured) {
        return configured == null || configured.isBlank() || configured.equals("null") || configured.equals("0.0.0.0")
                ? "127.0.0.1" : configured;
    }
}
