package dev.halibut.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceInvocationException;
import dev.halibut.itests.contracts.BasicValues;
import dev.halibut.itests.contracts.Greeter;
import dev.halibut.itests.contracts.GreeterService;
import dev.halibut.registry.HalibutRemoteServices;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.service.cm.Configuration;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.promise.Promise;

/**
 * Remote Services (OSGi Compendium chapter 100) as Halibut implements it, one test per rule (docs/osgi.md,
 * "Conformance"). The runtime listens on loopback and trusts itself; the test exports {@link Greeter}s from
 * the probe bundle (which exports their package) and imports them back through configurations of
 * {@code dev.halibut.import}, so every call crosses TLS. The runtime's keep-alive is 1 s, which bounds how
 * long an import takes to follow its export.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RemoteServicesConformanceIT extends HalibutTestSupport {

    private static final String GREETER = Greeter.class.getName();
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(1);
    private static final String CALCULATOR_SERVICE_COMPONENT = "dev.halibut.examples.calculator.service.CalculatorService";

    private RuntimeState runtime;
    private final List<ServiceRegistration<?>> exports = new ArrayList<>();
    private final List<Configuration> imports = new ArrayList<>();

    /** The probe exports the contracts' package, so imports find them as they would in a contract bundle. */
    @ProbeBuilder
    public TestProbeBuilder exportContracts(TestProbeBuilder probe) {
        probe.setHeader(Constants.EXPORT_PACKAGE, "dev.halibut.itests.contracts");
        return probe;
    }

    @Before
    public void listenOnLoopbackTrustOurselvesAndRefreshEverySecond() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        // One connect attempt: the transport-failure rule calls a port nobody listens on.
        runtime = configureListeningRuntime(properties("polling.keep.alive", "1s", "connect.attempts", "1"),
                s -> KEEP_ALIVE.equals(s.runtime().limits().pollingKeepAlive())
                        && s.runtime().limits().connectAttempts() == 1, own);
        // The old runtime's exporter went with it (unregistered before the new one is registered); DS
        // activates the new runtime's exporter asynchronously.
        Await.value("the Halibut distribution provider (HalibutRemoteServices)",
                () -> bundleContext.getServiceReference(HalibutRemoteServices.class));
    }

    @After
    public void withdrawExportsAndImports() throws Exception {
        for (Configuration c : imports) {
            c.delete();
        }
        for (ServiceRegistration<?> r : exports) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the test unregistered it itself
            }
        }
        Await.until("every imported Greeter gone", () -> importedGreeters(null).isEmpty());
    }

    // --- Rule 1: an imported proxy carries the endpoint properties and the export's public properties ---

    @Test
    public void importedProxyCarriesEndpointProperties() throws Exception {
        Hashtable<String, Object> props = properties("region", "eu", "weight", 5, "tags", new String[] {"a", "b"},
                "ratio", 0.5d, "flag", Boolean.TRUE, "big", 7L);
        ServiceRegistration<?> export = export("eu", props);
        // Only endpoint, thumbprint and a filter: the interfaces come from the endpoint's description.
        importFrom("filter", "(region=eu)");

        ServiceReference<?> proxy = awaitImportedGreeter("(region=eu)");
        HalibutRemoteServices.ExportedService exported = exportedEntry(export);
        assertEquals(Boolean.TRUE, proxy.getProperty("service.imported"));
        assertEquals(List.of("dev.halibut"), ListeningModeIT.asList(proxy.getProperty("service.imported.configs")));
        assertTrue("service.intents: " + ListeningModeIT.asList(proxy.getProperty("service.intents")),
                ListeningModeIT.asList(proxy.getProperty("service.intents"))
                        .containsAll(List.of("osgi.basic", "osgi.async", "osgi.confidential")));
        assertEquals(exported.endpointId(), proxy.getProperty("endpoint.id"));
        assertEquals(export.getReference().getProperty(Constants.SERVICE_ID), proxy.getProperty("endpoint.service.id"));
        assertEquals(bundleContext.getProperty(Constants.FRAMEWORK_UUID), proxy.getProperty("endpoint.framework.uuid"));
        assertEquals(List.of(GREETER), ListeningModeIT.asList(proxy.getProperty(Constants.OBJECTCLASS)));
        assertEquals("eu", proxy.getProperty("region"));
        assertEquals(Integer.valueOf(5), proxy.getProperty("weight"));
        assertEquals(Long.valueOf(7), proxy.getProperty("big"));
        assertEquals(Double.valueOf(0.5), proxy.getProperty("ratio"));
        assertEquals(Boolean.TRUE, proxy.getProperty("flag"));
        assertArrayEquals(new String[] {"a", "b"}, (String[]) proxy.getProperty("tags"));
        assertEquals("eu:hello you", greeter(proxy).greet("you"));
    }

    @Test
    public void privatePropertiesAreNotExported() throws Exception {
        export("private", properties("region", "private", ".secret", "s3cr3t", "service.exported.intents", "osgi.basic"));
        importFrom("filter", "(region=private)");

        ServiceReference<?> proxy = awaitImportedGreeter("(region=private)");
        List<String> keys = List.of(proxy.getPropertyKeys());
        assertFalse("a private (.-prefixed) key is not exported: " + keys, keys.stream().anyMatch(k -> k.startsWith(".")));
        assertFalse("no service.exported.* on an imported service: " + keys,
                keys.stream().anyMatch(k -> k.startsWith("service.exported.")));
    }

    @Test
    public void endpointIdIsStableWhileExportedAndUniquePerExport() throws Exception {
        ServiceRegistration<?> export = export("stable", properties("region", "stable", "colour", "red"));
        importFrom("filter", "(region=stable)");
        ServiceReference<?> proxy = awaitImportedGreeter("(region=stable)");
        Object endpointId = proxy.getProperty("endpoint.id");

        Hashtable<String, Object> changed = properties("region", "stable", "colour", "blue",
                "service.exported.interfaces", "*");
        export.setProperties(changed);

        ServiceReference<?> updated = awaitImportedGreeter("(&(region=stable)(colour=blue))");
        assertEquals("the proxy follows the export's properties", proxy.getProperty(Constants.SERVICE_ID),
                updated.getProperty(Constants.SERVICE_ID));
        assertEquals("endpoint.id is stable while exported", endpointId, updated.getProperty("endpoint.id"));

        ServiceRegistration<?> other = export("other", properties("region", "other"));
        assertNotEquals("each export has its own endpoint.id", endpointId, exportedEntry(other).endpointId());
    }

    // --- Rule 2: several exports of one interface; an import picks one by endpoint.id or filter ---

    @Test
    public void twoExportsOfOneInterfaceAreBothImportable() throws Exception {
        export("first", properties("region", "first"));
        ServiceRegistration<?> second = export("second", properties("region", "second"));
        assertEquals("both exports are served", 2, exportedGreeters().size());

        importFrom("interfaces", GREETER, "endpoint.id", exportedEntry(second).endpointId(), "tag", "by-id");
        importFrom("interfaces", GREETER, "filter", "(region=first)", "tag", "by-filter");

        assertEquals("second:hello x", greeter(awaitImportedGreeter("(tag=by-id)")).greet("x"));
        assertEquals("first:hello x", greeter(awaitImportedGreeter("(tag=by-filter)")).greet("x"));
    }

    @Test
    public void importSelectsByFilter() throws Exception {
        export("north", properties("region", "north", "tier", 1));
        export("south", properties("region", "south", "tier", 2));
        importFrom("filter", "(&(objectClass=" + GREETER + ")(tier>=2))");

        ServiceReference<?> proxy = awaitImportedGreeter(null);
        assertEquals("south", proxy.getProperty("region"));
        assertEquals("south:hello x", greeter(proxy).greet("x"));
    }

    // --- Rule 3: intents ---

    @Test
    public void supportedIntentsAreAdvertisedAndOthersRefused() throws Exception {
        ServiceReference<HalibutRemoteServices> provider = bundleContext.getServiceReference(HalibutRemoteServices.class);
        assertEquals(List.of("osgi.basic", "osgi.async", "osgi.confidential"),
                ListeningModeIT.asList(provider.getProperty("remote.intents.supported")));
        assertEquals(List.of("dev.halibut"), ListeningModeIT.asList(provider.getProperty("remote.configs.supported")));

        ServiceRegistration<?> refused = export("refused", properties("service.exported.intents", "osgi.private"));
        ServiceRegistration<?> accepted = export("accepted",
                properties("service.exported.intents", new String[] {"osgi.basic", "osgi.async", "osgi.confidential"}));
        List<Long> exportedIds = exportedGreeters().stream().map(HalibutRemoteServices.ExportedService::serviceId)
                .collect(Collectors.toList());
        assertFalse("an export requiring an unsupported intent is refused",
                exportedIds.contains(serviceId(refused)));
        assertTrue("an export requiring the supported intents is served", exportedIds.contains(serviceId(accepted)));
    }

    @Test
    public void basicDataTypesCrossAsTheyAre() throws Exception {
        export("basic", properties("region", "basic"));
        importFrom("filter", "(region=basic)");
        Greeter greeter = greeter(awaitImportedGreeter(null));

        BasicValues v = new BasicValues();
        v.z = true;
        v.b = -8;
        v.s = 1234;
        v.c = 'ß';
        v.i = Integer.MIN_VALUE;
        v.l = Long.MAX_VALUE;
        v.f = 1.5f;
        v.d = -2.25;
        v.boxedBoolean = Boolean.FALSE;
        v.boxedInt = 42;
        v.boxedLong = 1L << 40;
        v.boxedDouble = 3.5;
        v.boxedChar = 'x';
        v.text = "grüße";
        v.version = new Version(1, 2, 3, "q");
        v.colour = BasicValues.Colour.GREEN;
        v.ints = new int[] {1, 2, 3};
        v.texts = new String[] {"a", "b"};
        v.list = List.of("x", "y");
        v.set = Set.of(5L);
        v.map = Map.of("k", 1);
        v.nested = new BasicValues();
        v.nested.text = "inner";

        BasicValues back = greeter.roundTrip(v);

        assertNotSame(v, back);
        assertEquals(BasicValues.fields(v), BasicValues.fields(back));
    }

    @Test
    public void asyncMethodsCompleteOffTheCallerThread() throws Exception {
        GreeterService service = new GreeterService("async");
        export(service, properties("region", "async"));
        importFrom("filter", "(region=async)");
        Greeter greeter = greeter(awaitImportedGreeter(null));
        Thread caller = Thread.currentThread();

        // Each call returns while the service is still held: the caller is not blocked.
        CompletableFuture<String> future = greeter.future("f");
        CompletionStage<String> stage = greeter.stage("s");
        Promise<String> promise = greeter.promise("p");
        assertFalse("the future is not complete while the service is held", future.isDone());
        assertFalse("the stage is not complete while the service is held", stage.toCompletableFuture().isDone());
        assertFalse("the promise is not resolved while the service is held", promise.isDone());
        AtomicReference<Thread> futureThread = new AtomicReference<>();
        AtomicReference<Thread> stageThread = new AtomicReference<>();
        AtomicReference<Thread> promiseThread = new AtomicReference<>();
        CompletableFuture<String> futureSeen = future.whenComplete((v, e) -> futureThread.set(Thread.currentThread()));
        CompletableFuture<String> stageSeen = stage.whenComplete((v, e) -> stageThread.set(Thread.currentThread()))
                .toCompletableFuture();
        promise.onResolve(() -> promiseThread.set(Thread.currentThread()));

        service.release();

        assertEquals("async:hello f", futureSeen.get(30, TimeUnit.SECONDS));
        assertEquals("async:hello s", stageSeen.get(30, TimeUnit.SECONDS));
        assertEquals("async:hello p", promise.getValue());
        Await.until("the promise's callback to run", () -> promiseThread.get() != null);
        assertNotEquals("the future completes off the caller's thread", caller, futureThread.get());
        assertNotEquals("the stage completes off the caller's thread", caller, stageThread.get());
        assertNotEquals("the promise resolves off the caller's thread", caller, promiseThread.get());
    }

    // --- Rule 4: failures ---

    @Test
    public void transportFailureIsServiceExceptionRemote() throws Exception {
        String nobody = "https://127.0.0.1:" + freePort() + "/";
        // The endpoint cannot describe itself: the configured interface is imported by wire name.
        imports.add(createFactoryConfiguration(IMPORT_FACTORY_PID, properties("endpoint", nobody,
                "thumbprint", runtime.thumbprint(), "interfaces", GREETER, "tag", "nobody")));
        Greeter greeter = greeter(awaitImportedGreeter("(tag=nobody)"));

        try {
            greeter.greet("x");
            fail("nobody listens at " + nobody);
        } catch (ServiceException e) {
            assertEquals("type REMOTE: " + e, ServiceException.REMOTE, e.getType());
            assertTrue("the cause is the HalibutClientException: " + e.getCause(),
                    e.getCause() instanceof HalibutClientException);
        }
    }

    @Test
    public void remoteExceptionIsRethrownAsIs() throws Exception {
        export("thrower", properties("region", "thrower"));
        importFrom("filter", "(region=thrower)");
        Greeter greeter = greeter(awaitImportedGreeter(null));

        try {
            greeter.fail("boom");
            fail("the remote service threw");
        } catch (ServiceInvocationException e) {
            assertEquals(IllegalStateException.class.getName(), e.getRemoteType());
            assertTrue(e.getMessage(), e.getMessage().contains("boom"));
        }
    }

    // --- Rule 5: the import follows the export; a DS consumer with a mandatory reference follows the import ---

    @Test
    public void unregisteringTheExportRemovesTheImportedProxy() throws Exception {
        ServiceReference<?> proxy = importCalculatorAndAwaitTheConsumer();
        try {
            setCalculatorServiceEnabled(false);
            long start = System.nanoTime();
            Await.until("the imported Calculator gone", () -> importedCalculators(null).isEmpty());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue("gone within the keep-alive (plus a heartbeat of slack): " + took.toMillis() + " ms",
                    took.compareTo(KEEP_ALIVE.plusSeconds(10)) <= 0);
            Await.until(() -> "the consumer UNSATISFIED_REFERENCE; it is " + stateName(consumerState()),
                    () -> Integer.valueOf(ComponentConfigurationDTO.UNSATISFIED_REFERENCE).equals(consumerState()));
            // The consumer is deactivated while the framework is still unregistering the proxy (during its
            // UNREGISTERING event), and until unregistration is complete the old reference may still give the service.
            Await.until("the old proxy unregistered", () -> {
                Object service = bundleContext.getService(proxy);
                if (service != null) {
                    bundleContext.ungetService(proxy);
                }
                return service == null;
            });
        } finally {
            setCalculatorServiceEnabled(true);
        }
    }

    @Test
    public void reRegisteringBringsItBack() throws Exception {
        importCalculatorAndAwaitTheConsumer();
        setCalculatorServiceEnabled(false);
        try {
            Await.until("the imported Calculator gone", () -> importedCalculators(null).isEmpty());
        } finally {
            setCalculatorServiceEnabled(true);
        }
        ServiceReference<?> back = Await.value("the imported Calculator back",
                () -> importedCalculators(null).stream().findFirst().orElse(null));
        long id = (Long) back.getProperty(Constants.SERVICE_ID);
        Await.until(() -> "the consumer ACTIVE and bound to " + id + "; it is " + stateName(consumerState())
                        + " bound to " + consumerBoundServiceIds(),
                () -> Integer.valueOf(ComponentConfigurationDTO.ACTIVE).equals(consumerState())
                        && consumerBoundServiceIds().equals(List.of(id)));
    }

    // --- helpers ---

    private ServiceReference<?> importCalculatorAndAwaitTheConsumer() throws IOException {
        imports.add(createFactoryConfiguration(IMPORT_FACTORY_PID, properties("endpoint", endpoint(),
                "thumbprint", runtime.thumbprint(), "interfaces", CALCULATOR)));
        ServiceReference<?> proxy = Await.value("an imported Calculator",
                () -> importedCalculators(null).stream().findFirst().orElse(null));
        long id = (Long) proxy.getProperty(Constants.SERVICE_ID);
        Await.until(() -> "the consumer ACTIVE and bound to " + id + "; it is " + stateName(consumerState()),
                () -> Integer.valueOf(ComponentConfigurationDTO.ACTIVE).equals(consumerState())
                        && consumerBoundServiceIds().equals(List.of(id)));
        return proxy;
    }

    private void setCalculatorServiceEnabled(boolean enabled) throws Exception {
        ComponentDescriptionDTO description = serviceComponentRuntime.getComponentDescriptionDTOs().stream()
                .filter(d -> CALCULATOR_SERVICE_COMPONENT.equals(d.name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no component " + CALCULATOR_SERVICE_COMPONENT));
        (enabled ? serviceComponentRuntime.enableComponent(description)
                : serviceComponentRuntime.disableComponent(description)).getValue();
    }

    private String endpoint() {
        return "https://127.0.0.1:" + runtime.port() + "/";
    }

    private ServiceRegistration<?> export(String name, Hashtable<String, Object> props) {
        return export(new GreeterService(name), props);
    }

    private ServiceRegistration<?> export(GreeterService service, Hashtable<String, Object> props) {
        props.putIfAbsent("service.exported.interfaces", "*");
        ServiceRegistration<?> r = bundleContext.registerService(GREETER, service, props);
        exports.add(r);
        return r;
    }

    private void importFrom(Object... keysAndValues) throws IOException {
        Hashtable<String, Object> props = properties(keysAndValues);
        props.put("endpoint", endpoint());
        props.put("thumbprint", runtime.thumbprint());
        imports.add(createFactoryConfiguration(IMPORT_FACTORY_PID, props));
    }

    private List<HalibutRemoteServices.ExportedService> exportedGreeters() {
        ServiceReference<HalibutRemoteServices> ref = bundleContext.getServiceReference(HalibutRemoteServices.class);
        HalibutRemoteServices provider = bundleContext.getService(ref);
        try {
            return provider.exportedServices().stream().filter(e -> e.interfaceName().equals(GREETER))
                    .collect(Collectors.toList());
        } finally {
            bundleContext.ungetService(ref);
        }
    }

    private HalibutRemoteServices.ExportedService exportedEntry(ServiceRegistration<?> export) {
        long id = serviceId(export);
        return exportedGreeters().stream().filter(e -> e.serviceId() == id).findFirst()
                .orElseThrow(() -> new AssertionError("service " + id + " is not exported: " + exportedGreeters()));
    }

    private static long serviceId(ServiceRegistration<?> r) {
        return (Long) r.getReference().getProperty(Constants.SERVICE_ID);
    }

    private List<ServiceReference<?>> importedGreeters(String extraFilter) {
        try {
            ServiceReference<?>[] refs = bundleContext.getServiceReferences(GREETER,
                    "(&(service.imported=true)" + (extraFilter == null ? "" : extraFilter) + ")");
            return refs == null ? List.of() : List.of(refs);
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private ServiceReference<?> awaitImportedGreeter(String extraFilter) {
        return Await.value(() -> "an imported Greeter matching " + extraFilter + "; imported now: "
                        + importedGreeters(null).stream().map(r -> Stream.of(r.getPropertyKeys())
                        .map(k -> k + "=" + r.getProperty(k)).collect(Collectors.joining(", ", "{", "}")))
                        .collect(Collectors.toList()), Await.DEFAULT_TIMEOUT,
                () -> importedGreeters(extraFilter).stream().findFirst().orElse(null));
    }

    private Greeter greeter(ServiceReference<?> ref) {
        // Held for the test's duration; the framework releases it when the probe stops.
        return (Greeter) bundleContext.getService(ref);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
