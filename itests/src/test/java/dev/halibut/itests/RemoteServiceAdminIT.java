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
 * anywhere: what is imported is what discovery found and the container's runtime trusts. One test restarts
 * ZooKeeper through the driver's control port.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RemoteServiceAdminIT extends HalibutTestSupport {
    private static final String ZOOKEEPER_PID = "org.apache.aries.rsa.discovery.zookeeper";
    private static final String REGISTRY_PATH = "/osgi/service_registry";
    private static final String CALCULATOR_SERVICE_COMPONENT = "dev.halibut.examples.calculator.service.CalculatorService";
    private static final String REGISTRY_EXPORTER = "dev.halibut.registry.internal.ServiceExporter";
    private static final String CONTROL_PORT = "halibut.itest.control.port";

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
                editConfigurationFilePut(cfg, "zookeeper.port", String.valueOf(ports.zooKeeper())),
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
        String host = InetAddress.getLoopbackAddress().getHostAddress();
        zooKeeper = new ZooKeeper(host + ":" + zooKeeperConfiguration("zookeeper.port"), 10_000, event -> { });
        Await.until("the test's ZooKeeper client connected", () -> zooKeeper.getState().isConnected());
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

        zooKeeper.delete(node, -1);
        Await.until("the import gone after its endpoint left ZooKeeper", imported::isEmpty);
    }

    @Test
    public void anEndpointWithAnUntrustedThumbprintIsHeldAndImportedOnceItIsTrusted() throws Exception {
        ServiceTracker<Calculator, Calculator> imported = importedCalculators(stranger);
        String node = publishCalculator(stranger);
        String endpointId = node.substring(REGISTRY_PATH.length() + 1).replace('#', '/');

        DiscoveredEndpoints discovered = Await.value("the discovered-endpoints view",
                () -> bundleContext.getServiceReference(DiscoveredEndpoints.class) == null ? null
                        : bundleContext.getService(bundleContext.getServiceReference(DiscoveredEndpoints.class)));
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
        int port = peer.status().listening().get(0).getPort();
        String endpoint = "https://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/";
        Map<String, Object> p = new HashMap<>();
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
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), zooKeeperConfiguration(CONTROL_PORT))) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("restart\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertEquals("the driver's answer to restart", "ok", answer);
        }
    }
}
