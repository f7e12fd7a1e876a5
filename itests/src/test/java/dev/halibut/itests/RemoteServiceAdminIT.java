package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import dev.halibut.ServiceEndPoint;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.registry.distribution.DiscoveredEndpoints;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.aries.rsa.discovery.endpoint.EndpointDescriptionParser;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.remoteserviceadmin.EndpointDescription;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Remote Service Admin and discovery (docs/osgi.md, "Remote Service Admin and discovery"): one Karaf container
 * with features halibut-rsa and halibut-discovery-zookeeper, a real ZooKeeper server run by the test driver
 * ({@link EmbeddedZooKeeper}), and plain-Java peers: Halibut runtimes created by the test on loopback that
 * publish their exports in ZooKeeper as the halibut-rsa provider does (the same keys, written with Aries'
 * own endpoint description parser), and read what the container publishes. No import configuration exists
 * anywhere: what is imported is what discovery found and the container's runtime trusts. Polling under
 * discovery is covered both ways: a polling peer's {@code poll://} export imported by the container (the listener
 * it polls), and the container itself configured to poll a peer and publish its exports as a subscription. Two
 * tests stop or restart ZooKeeper, or partition the container from it, through the driver's control port; the
 * discovery's session timeout is short (2 s) so that a partition expires the container's session quickly.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RemoteServiceAdminIT extends HalibutTestSupport {
    private static final String ZOOKEEPER_PID = "org.apache.aries.rsa.discovery.zookeeper";
    private static final String REGISTRY_PATH = "/osgi/service_registry";
    private static final String CALCULATOR_SERVICE_COMPONENT = "dev.halibut.examples.calculator.service.CalculatorService";
    private static final String REGISTRY_EXPORTER = "dev.halibut.registry.internal.ServiceExporter";
    private static final String CONTROL_PORT = "halibut.itest.control.port";
    private static final String DIRECT_PORT = "halibut.itest.zookeeper.direct.port";
    private static final String RSA_PID = "dev.halibut.rsa";
    /** Aries' ZooKeeper session timeout (ms), short so that an outage expires sessions within the test's time. */
    private static final String SESSION_TIMEOUT_MILLIS = "2000";

    private RuntimeState runtime;
    private HalibutRuntime trustedPeer;
    private HalibutRuntime stranger;
    private ZooKeeper zooKeeper;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    /**
     * The tests read {@link DiscoveredEndpoints}, whose package is exported only to importers naming
     * {@code halibut.internal=true} (docs/modules.md); the probe's catch-all dynamic import cannot see it.
     */
    @ProbeBuilder
    public TestProbeBuilder importTheRegistrysDistributionPackage(TestProbeBuilder probe) {
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "dev.halibut.registry.distribution;halibut.internal=true,*");
        return probe;
    }

    @Override
    @Configuration
    public Option[] config() {
        EmbeddedZooKeeper.Ports ports = EmbeddedZooKeeper.start(new File(System.getProperty("halibut.itest.target")));
        String cfg = "etc/" + ZOOKEEPER_PID + ".cfg";
        return OptionUtils.combine(super.config(),
                editConfigurationFilePut(cfg, "zookeeper.host", InetAddress.getLoopbackAddress().getHostAddress()),
                // The container's discovery goes through the driver's forwarding port, which a test can cut.
                editConfigurationFilePut(cfg, "zookeeper.port", String.valueOf(ports.proxy())),
                // Not Aries' key: where the test's own ZooKeeper client connects, bypassing the forwarding port.
                editConfigurationFilePut(cfg, DIRECT_PORT, String.valueOf(ports.zooKeeper())),
                editConfigurationFilePut(cfg, "zookeeper.timeout", SESSION_TIMEOUT_MILLIS),
                // Not Aries' key: where the tests ask the driver to restart ZooKeeper.
                editConfigurationFilePut(cfg, CONTROL_PORT, String.valueOf(ports.control())),
                editConfigurationFilePut("etc/dev.halibut.rsa.cfg", "advertised.host",
                        InetAddress.getLoopbackAddress().getHostAddress()));
    }

    @Override
    protected List<String> additionalBootFeatures() {
        return List.of("halibut-discovery-zookeeper");
    }

    @Before
    public void peersAndAContainerRuntimeTrustingOnlyTheFirst() throws Exception {
        trustedPeer = peer("trusted-peer");
        stranger = peer("stranger");
        runtime = configureListeningRuntime(null, s -> true, trustedPeer.thumbprint());
        trustedPeer.trust(runtime.thumbprint());
        stranger.trust(runtime.thumbprint());
        // The test's own client, through which the plain-Java peers publish: straight to the server.
        String host = InetAddress.getLoopbackAddress().getHostAddress();
        ZooKeeper client = new ZooKeeper(host + ":" + zooKeeperConfiguration(DIRECT_PORT), 10_000, event -> { });
        zooKeeper = client;
        Await.until("the test's ZooKeeper client connected", () -> client.getState().isConnected());
    }

    @After
    public void closeEverything() throws Exception {
        trackers.forEach(ServiceTracker::close);
        if (zooKeeper != null) {
            zooKeeper.close();
        }
        if (trustedPeer != null) {
            trustedPeer.close();
        }
        if (stranger != null) {
            stranger.close();
        }
    }

    @Test
    public void aServicePublishedByATrustedPeerIsImportedWithoutConfigurationAndGoesWhenWithdrawn() throws Exception {
        ServiceTracker<Calculator, Calculator> imported = importedCalculators(trustedPeer);
        String node = publishCalculator(trustedPeer);

        Calculator calculator = Await.value("the trusted peer's calculator imported through discovery",
                imported::getService);
        assertEquals(5, calculator.add(2, 3));
        // The example consumer's DS @Reference (service.imported=true) receives the proxy.
        long importId = (Long) imported.getServiceReference().getProperty(Constants.SERVICE_ID);
        Await.until(() -> "the example consumer bound to the import " + importId + "; bound: "
                + consumerBoundServiceIds(), Await.DEFAULT_TIMEOUT, () -> consumerBoundServiceIds().contains(importId));

        zooKeeper.delete(node, -1);
        Await.until("the import gone after its endpoint left ZooKeeper", imported::isEmpty);
        Await.until("the example consumer unbound from the withdrawn import",
                () -> !consumerBoundServiceIds().contains(importId));
    }

    @Test
    public void aPollingPeersExportIsImportedByTheListenerItPollsAndCalledThroughItsSubscription() throws Exception {
        HalibutRuntime poller = peerThatDoesNotListen("poller");
        try {
            runtime = configureListeningRuntime(null, s -> s.serviceId() == runtime.serviceId(),
                    trustedPeer.thumbprint(), poller.thumbprint());
            URI subscription = URI.create("poll://itest-poller/");
            poller.poll(subscription, new ServiceEndPoint(
                    URI.create("https://127.0.0.1:" + runtime.port() + "/"), runtime.thumbprint()));
            ServiceTracker<Calculator, Calculator> imported = importedCalculators(poller);
            // The same export also claimed for another listener: the container must neither import nor list it.
            String elsewhere = publishPolledCalculator(poller, subscription, stranger.thumbprint());
            String here = publishPolledCalculator(poller, subscription, runtime.thumbprint());

            Calculator calculator = Await.value("the polling peer's calculator imported through discovery",
                    imported::getService);
            assertEquals("poll://itest-poller/", imported.getServiceReference().getProperty("dev.halibut.endpoint"));
            assertEquals("the call is queued for the subscription and collected by the poller", 13,
                    calculator.add(6, 7));

            String elsewhereId = endpointIdOf(elsewhere);
            assertEquals("only the description that names this listener is imported", 1, imported.size());
            assertEquals(endpointIdOf(here), imported.getServiceReference().getProperty("endpoint.id"));
            DiscoveredEndpoints discovered = discoveredEndpoints();
            assertFalse("a poll:// endpoint of another listener is not 'discovered, not trusted' here",
                    discovered.discoveredNotTrusted().stream().anyMatch(u -> u.endpointId().equals(elsewhereId)));

            zooKeeper.delete(here, -1);
            Await.until("the polled import gone after its endpoint left ZooKeeper", imported::isEmpty);
        } finally {
            poller.close();
        }
    }

    @Test
    public void exportsOfANodeConfiguredToPollArePublishedAsItsSubscriptionAndCalledByTheListenerItPolls()
            throws Exception {
        HalibutRuntime hub = peer("hub");
        hub.trust(runtime.thumbprint());
        org.osgi.service.cm.Configuration rsa = configurationAdmin.getConfiguration(RSA_PID, ANY_LOCATION);
        java.util.Dictionary<String, Object> before = rsa.getProperties();
        String framework = bundleContext.getProperty(Constants.FRAMEWORK_UUID);
        try {
            java.util.Hashtable<String, Object> polling = new java.util.Hashtable<>();
            if (before != null) {
                for (var keys = before.keys(); keys.hasMoreElements();) {
                    String key = keys.nextElement();
                    polling.put(key, before.get(key));
                }
            }
            polling.put("polling.endpoint", "https://127.0.0.1:" + hub.status().listening().get(0).getPort() + "/");
            polling.put("polling.thumbprint", hub.thumbprint());
            polling.put("polling.subscription", "poll://itest-karaf/");
            rsa.update(polling);

            EndpointDescription published = Await.value("the example calculator published as poll://itest-karaf/",
                    () -> publishedEndpoints().stream().filter(e -> framework.equals(e.getFrameworkUUID())
                            && e.getInterfaces().contains(CALCULATOR)
                            && "poll://itest-karaf/".equals(e.getProperties().get("dev.halibut.endpoint")))
                            .findFirst().orElse(null));
            assertEquals(hub.thumbprint(), published.getProperties().get("dev.halibut.polled.thumbprint"));
            assertEquals(runtime.thumbprint(), published.getProperties().get("dev.halibut.thumbprint"));

            String address = ((String[]) published.getProperties().get("dev.halibut.addresses"))[0];
            Calculator remote = hub.createClient(Calculator.class,
                    new ServiceEndPoint(URI.create("poll://itest-karaf/"), runtime.thumbprint()),
                    address.substring(address.indexOf('=') + 1));
            assertEquals("the hub's call is collected by the container, which polls it", 15, remote.add(7, 8));
        } finally {
            rsa.update(before);
            Await.until("the example calculator published at the container's listener again", () ->
                    publishedEndpoints().stream().anyMatch(e -> framework.equals(e.getFrameworkUUID())
                            && String.valueOf(e.getProperties().get("dev.halibut.endpoint")).startsWith("https://")));
            hub.close();
        }
    }

    @Test
    public void anEndpointWithAnUntrustedThumbprintIsHeldAndImportedOnceItIsTrusted() throws Exception {
        ServiceTracker<Calculator, Calculator> imported = importedCalculators(stranger);
        String node = publishCalculator(stranger);
        String endpointId = node.substring(REGISTRY_PATH.length() + 1).replace('#', '/');

        DiscoveredEndpoints discovered = discoveredEndpoints();
        Await.until("the stranger's endpoint listed as discovered, not trusted", () -> discovered.discoveredNotTrusted()
                .stream().anyMatch(u -> u.endpointId().equals(endpointId) && u.thumbprint().equals(stranger.thumbprint())));
        assertTrue("an endpoint held back for its thumbprint must not be imported", imported.isEmpty());

        configureListeningRuntime(null, s -> s.serviceId() == runtime.serviceId(), trustedPeer.thumbprint(),
                stranger.thumbprint());

        Calculator calculator = Await.value("the stranger's calculator imported once trusted", imported::getService);
        assertEquals(7, calculator.add(3, 4));
        assertFalse(discovered.discoveredNotTrusted().stream().anyMatch(u -> u.endpointId().equals(endpointId)));
    }

    @Test
    public void aServiceExportedHereWithOnlyServiceExportedInterfacesIsPublishedOnceAndCallable() throws Exception {
        String framework = bundleContext.getProperty(Constants.FRAMEWORK_UUID);
        EndpointDescription published = Await.value("the example calculator published in ZooKeeper",
                () -> publishedEndpoints().stream().filter(e -> framework.equals(e.getFrameworkUUID())
                        && e.getInterfaces().contains(CALCULATOR)).findFirst().orElse(null));
        assertEquals(List.of("dev.halibut"), published.getConfigurationTypes());
        assertEquals(runtime.thumbprint(), published.getProperties().get("dev.halibut.thumbprint"));
        for (ComponentDescriptionDTO d : serviceComponentRuntime.getComponentDescriptionDTOs()) {
            if (d.name.equals(REGISTRY_EXPORTER)) {
                assertFalse("the registry's own exporter must be off while RSA exports",
                        serviceComponentRuntime.isComponentEnabled(d));
            }
        }

        String address = ((String[]) published.getProperties().get("dev.halibut.addresses"))[0];
        Calculator remote = trustedPeer.createClient(Calculator.class, new ServiceEndPoint(
                        URI.create((String) published.getProperties().get("dev.halibut.endpoint")), runtime.thumbprint()),
                address.substring(address.indexOf('=') + 1));
        assertEquals(9, remote.add(4, 5));

        ComponentDescriptionDTO service = serviceComponentRuntime.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(CALCULATOR_SERVICE_COMPONENT)).findFirst().orElseThrow();
        serviceComponentRuntime.disableComponent(service).getValue();
        try {
            Await.until("the calculator's endpoint removed from ZooKeeper when the service went", () ->
                    publishedEndpoints().stream().noneMatch(e -> e.getId().equals(published.getId())));
        } finally {
            serviceComponentRuntime.enableComponent(service).getValue();
        }
    }

    @Test
    public void importsAndExportsOutliveARestartOfZooKeeper() throws Exception {
        ServiceTracker<Calculator, Calculator> imported = importedCalculators(trustedPeer);
        publishCalculator(trustedPeer);
        Await.value("the trusted peer's calculator imported", imported::getService);
        String framework = bundleContext.getProperty(Constants.FRAMEWORK_UUID);
        Await.until("the example calculator published", () -> publishedEndpoints().stream()
                .anyMatch(e -> framework.equals(e.getFrameworkUUID())));

        restartZooKeeper();

        Await.until("the example calculator published after the restart", () -> publishedEndpoints().stream()
                .anyMatch(e -> framework.equals(e.getFrameworkUUID())));
        Calculator calculator = Await.value("the import after the restart", imported::getService);
        assertEquals(11, calculator.add(5, 6));
    }

    @Test
    public void aZooKeeperOutageAndAPartitionLongerThanTheSessionTimeoutLeaveCallsWorkingAndEndWithEverythingBack()
            throws Exception {
        ServiceTracker<Calculator, Calculator> imported = importedCalculators(trustedPeer);
        publishCalculator(trustedPeer);
        Calculator calculator = Await.value("the trusted peer's calculator imported", imported::getService);
        String framework = bundleContext.getProperty(Constants.FRAMEWORK_UUID);
        EndpointDescription export = Await.value("the example calculator published", () -> publishedEndpoints()
                .stream().filter(e -> framework.equals(e.getFrameworkUUID())).findFirst().orElse(null));
        String address = ((String[]) export.getProperties().get("dev.halibut.addresses"))[0];
        Calculator exportedHere = trustedPeer.createClient(Calculator.class, new ServiceEndPoint(
                URI.create((String) export.getProperties().get("dev.halibut.endpoint")), runtime.thumbprint()),
                address.substring(address.indexOf('=') + 1));

        // 1. ZooKeeper down. Halibut calls do not go through discovery, so nothing waits on it.
        zooKeeperControl("stop");
        ZooKeeper client = zooKeeper;
        Await.until("the test's ZooKeeper client disconnected", () -> !client.getState().isConnected());
        assertEquals(3, calculator.add(1, 2));
        assertEquals(4, exportedHere.add(2, 2));
        assertTrue(discoveredEndpoints().discoveredNotTrusted().stream()
                .noneMatch(u -> u.thumbprint().equals(trustedPeer.thumbprint())));
        zooKeeperControl("start");
        Await.until("the test's ZooKeeper client reconnected", () -> client.getState().isConnected());

        // 2. The container cut off from a running ZooKeeper until the server expired its session (2 s): its
        // published node goes with the session. The import and the export keep answering meanwhile.
        zooKeeperControl("cut");
        Await.until("the container's session expired: its export gone from ZooKeeper", () -> publishedEndpoints()
                .stream().noneMatch(e -> framework.equals(e.getFrameworkUUID())));
        assertEquals(5, calculator.add(2, 3));
        assertEquals(6, exportedHere.add(3, 3));
        zooKeeperControl("mend");

        // Told of the expiry on reconnecting, the discovery opens a new session and publishes again.
        Await.until("the container's export published again in a new ZooKeeper session", () -> publishedEndpoints()
                .stream().anyMatch(e -> framework.equals(e.getFrameworkUUID())));
        Calculator after = Await.value("the trusted peer's calculator imported after the partition",
                imported::getService);
        assertEquals(11, after.add(5, 6));
    }

    private DiscoveredEndpoints discoveredEndpoints() {
        return Await.value("the discovered-endpoints view",
                () -> bundleContext.getServiceReference(DiscoveredEndpoints.class) == null ? null
                        : bundleContext.getService(bundleContext.getServiceReference(DiscoveredEndpoints.class)));
    }

    private static String endpointIdOf(String node) {
        return node.substring(REGISTRY_PATH.length() + 1).replace('#', '/');
    }

    private HalibutRuntime peerThatDoesNotListen(String name) {
        CertificateAndKey identity = Certificates.generateSelfSigned(name);
        return HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey()).build();
    }

    private HalibutRuntime peer(String name) {
        CertificateAndKey identity = Certificates.generateSelfSigned(name);
        HalibutRuntime peer = HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey()).build();
        peer.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return peer;
    }

    private ServiceTracker<Calculator, Calculator> importedCalculators(HalibutRuntime exporter) throws Exception {
        ServiceTracker<Calculator, Calculator> tracker = new ServiceTracker<>(bundleContext, bundleContext.createFilter(
                "(&(objectClass=" + CALCULATOR + ")(service.imported=*)(dev.halibut.thumbprint=" + exporter.thumbprint()
                        + "))"), null);
        tracker.open();
        trackers.add(tracker);
        return tracker;
    }

    /** Serves a calculator on {@code peer} and publishes it in ZooKeeper as halibut-rsa does; returns the node. */
    private String publishCalculator(HalibutRuntime peer) throws Exception {
        int port = peer.status().listening().get(0).getPort();
        String endpoint = "https://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/";
        return publish(peer, endpoint, Map.of());
    }

    /**
     * Serves a calculator on a polling {@code peer} and publishes it in ZooKeeper as halibut-rsa does for a node
     * with polling.* keys: as {@code subscription}, collected at the listener with {@code listenerThumbprint}.
     */
    private String publishPolledCalculator(HalibutRuntime peer, URI subscription, String listenerThumbprint)
            throws Exception {
        return publish(peer, subscription.toString(), Map.of(
                "dev.halibut.polled.endpoint", "https://127.0.0.1:" + runtime.port() + "/",
                "dev.halibut.polled.thumbprint", listenerThumbprint));
    }

    private String publish(HalibutRuntime peer, String endpoint, Map<String, Object> extra) throws Exception {
        HalibutRuntime.ServiceRegistration registration = peer.register(Calculator.class, new Calculator() {
            @Override
            public int add(int a, int b) {
                return a + b;
            }

            @Override
            public int divide(int a, int b) {
                return a / b;
            }
        }, Map.of());
        Map<String, Object> p = new HashMap<>(extra);
        p.put("objectClass", new String[] {CALCULATOR});
        p.put("endpoint.id", endpoint + registration.endpointId());
        p.put("endpoint.framework.uuid", "plain-java-" + peer.thumbprint());
        p.put("endpoint.service.id", 1L);
        p.put("service.imported.configs", new String[] {"dev.halibut"});
        p.put("service.intents", new String[] {"osgi.basic", "osgi.async", "osgi.confidential"});
        p.put("dev.halibut.endpoint", endpoint);
        p.put("dev.halibut.thumbprint", peer.thumbprint());
        p.put("dev.halibut.export.id", registration.endpointId());
        p.put("dev.halibut.addresses", new String[] {CALCULATOR + "=" + registration.address()});
        EndpointDescription description = new EndpointDescription(p);
        ByteArrayOutputStream xml = new ByteArrayOutputStream();
        new EndpointDescriptionParser().writeEndpoint(description, xml);
        createPersistent("/osgi");
        createPersistent(REGISTRY_PATH);
        String node = REGISTRY_PATH + "/" + description.getId().replace('/', '#');
        zooKeeper.create(node, xml.toByteArray(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        return node;
    }

    private void createPersistent(String path) throws Exception {
        try {
            zooKeeper.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        } catch (KeeperException.NodeExistsException alreadyThere) {
            // created by the container's discovery, or by an earlier test
        }
    }

    private List<EndpointDescription> publishedEndpoints() {
        List<EndpointDescription> out = new ArrayList<>();
        try {
            if (zooKeeper.exists(REGISTRY_PATH, false) == null) {
                return out;
            }
            for (String child : zooKeeper.getChildren(REGISTRY_PATH, false)) {
                try {
                    byte[] data = zooKeeper.getData(REGISTRY_PATH + "/" + child, false, null);
                    out.add(new EndpointDescriptionParser().readEndpoint(new ByteArrayInputStream(data)));
                } catch (KeeperException.NoNodeException gone) {
                    // removed between listing and reading
                }
            }
        } catch (KeeperException.ConnectionLossException reconnecting) {
            // ZooKeeper restarted and the test's client is reconnecting: nothing to read yet
            return List.of();
        } catch (KeeperException e) {
            throw new AssertionError("Reading " + REGISTRY_PATH + " from ZooKeeper failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return out;
    }

    private int zooKeeperConfiguration(String portKey) throws Exception {
        org.osgi.service.cm.Configuration[] found = configurationAdmin.listConfigurations(
                "(service.pid=" + ZOOKEEPER_PID + ")");
        assertTrue("etc/" + ZOOKEEPER_PID + ".cfg must configure the discovery", found != null && found.length == 1);
        return Integer.parseInt(String.valueOf(found[0].getProperties().get(portKey)));
    }

    /** Asks the test driver to restart ZooKeeper (same port, same data); returns once it listens again. */
    private void restartZooKeeper() throws Exception {
        zooKeeperControl("restart");
    }

    /** Sends one command to the test driver's ZooKeeper control port ({@link EmbeddedZooKeeper}); returns when done. */
    private void zooKeeperControl(String command) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), zooKeeperConfiguration(CONTROL_PORT))) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write((command + "\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertEquals("the driver's answer to " + command, "ok", answer);
        }
    }
}
