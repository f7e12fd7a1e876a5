package dev.halibut.rsa.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.registry.HalibutRemoteServices;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.Map;
import org.apache.aries.rsa.spi.Endpoint;
import org.apache.aries.rsa.spi.IntentUnsatisfiedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceException;
import org.osgi.service.remoteserviceadmin.EndpointDescription;

/** The provider between two real runtimes on loopback: what Aries core would call, without a framework. */
class HalibutDistributionProviderTest {

    /** The contract exported in these tests. */
    public interface Adder {
        int add(int a, int b);
    }

    private final HalibutRuntime exporting = runtime("exporter");
    private final HalibutRuntime importing = runtime("importer");
    private final int port = exporting.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

    @AfterEach
    void close() {
        exporting.close();
        importing.close();
    }

    @Test
    void anExportIsDescribedAndItsDescriptionImportsAProxyThatCallsIt() throws Exception {
        importing.trust(exporting.thumbprint());
        exporting.trust(importing.thumbprint());
        HalibutDistributionProvider exporter = provider(exporting, port);

        Endpoint endpoint = exporter.exportService((Adder) Integer::sum, context("fw-a", "adder.bundle"),
                serviceProperties(), new Class<?>[] {Adder.class});
        EndpointDescription description = endpoint.description();

        assertThat(description.getId()).startsWith("https://127.0.0.1:" + port + "/");
        assertThat(description.getConfigurationTypes()).containsExactly("dev.halibut");
        assertThat(description.getFrameworkUUID()).isEqualTo("fw-a");
        assertThat(description.getServiceId()).isEqualTo(12L);
        assertThat(description.getProperties()).containsEntry("dev.halibut.thumbprint", exporting.thumbprint())
                .containsEntry("region", "eu").doesNotContainKey("service.exported.interfaces");
        assertThat(exporter.exportedServices()).extracting(HalibutRemoteServices.ExportedService::interfaceName,
                HalibutRemoteServices.ExportedService::serviceId).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Adder.class.getName(), 12L));

        Adder adder = (Adder) provider(importing, 0).importEndpoint(Adder.class.getClassLoader(),
                context("fw-b", "consumer"), new Class<?>[] {Adder.class}, description);
        assertThat(adder.add(2, 3)).isEqualTo(5);

        endpoint.close();
        assertThat(exporter.exportedServices()).isEmpty();
        assertThatThrownBy(() -> adder.add(2, 3)).isInstanceOf(ServiceException.class)
                .hasFieldOrPropertyWithValue("type", ServiceException.REMOTE);
    }

    @Test
    void aDescriptionWhoseThumbprintIsNotTrustedIsNotImported() {
        Endpoint endpoint = provider(exporting, port).exportService((Adder) Integer::sum, context("fw-a", "adder.bundle"),
                serviceProperties(), new Class<?>[] {Adder.class});

        assertThatThrownBy(() -> provider(importing, 0).importEndpoint(Adder.class.getClassLoader(),
                context("fw-b", "consumer"), new Class<?>[] {Adder.class}, endpoint.description()))
                .isInstanceOf(SecurityException.class).hasMessageContaining(exporting.thumbprint())
                .hasMessageContaining("halibut:trust");
    }

    @Test
    void aServiceRequiringAnIntentHalibutDoesNotProvideIsNotExported() {
        Map<String, Object> properties = serviceProperties();
        properties.put("service.exported.intents", "my.transactional");

        assertThatThrownBy(() -> provider(exporting, port).exportService((Adder) Integer::sum,
                context("fw-a", "adder.bundle"), properties, new Class<?>[] {Adder.class}))
                .isInstanceOf(IntentUnsatisfiedException.class).hasMessageContaining("my.transactional");
    }

    @Test
    void aRuntimeThatDoesNotListenPublishesNothing() {
        HalibutDistributionProvider provider = provider(exporting, 0);
        var servedBefore = exporting.status().services();

        assertThat(provider.exportService((Adder) Integer::sum, context("fw-a", "adder.bundle"), serviceProperties(),
                new Class<?>[] {Adder.class})).isNull();
        assertThat(provider.exportedServices()).isEmpty();
        assertThat(exporting.status().services()).isEqualTo(servedBefore);
    }

    @Test
    void aPollingNodePublishesItsExportsAsItsSubscriptionAndTheListenerItPollsImportsAndCallsThem() throws Exception {
        // "importing" listens; "exporting" dials out to it only (its own listener is not advertised).
        int hubPort = importing.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        importing.trust(exporting.thumbprint());
        HalibutDistributionProvider exporter = new HalibutDistributionProvider(context("fw-a", "dev.halibut.rsa"),
                ProviderConfigurations.polling("https://127.0.0.1:" + hubPort + "/", importing.thumbprint(),
                        "poll://edge-1/", 1),
                new AbstractMap.SimpleEntry<>(Map.of("halibut.listen.ports", new Integer[0]), exporting),
                new ExportsHandedOver() { });
        try {
            Endpoint endpoint = exporter.exportService((Adder) Integer::sum, context("fw-a", "adder.bundle"),
                    serviceProperties(), new Class<?>[] {Adder.class});
            EndpointDescription description = endpoint.description();

            assertThat(description.getId()).startsWith("poll://edge-1/");
            assertThat(description.getProperties()).containsEntry("dev.halibut.endpoint", "poll://edge-1/")
                    .containsEntry("dev.halibut.thumbprint", exporting.thumbprint())
                    .containsEntry("dev.halibut.polled.endpoint", "https://127.0.0.1:" + hubPort + "/")
                    .containsEntry("dev.halibut.polled.thumbprint", importing.thumbprint());
            assertThat(exporting.status().subscriptions()).extracting(s -> s.subscription().toString())
                    .containsExactly("poll://edge-1/");

            Adder adder = (Adder) provider(importing, hubPort).importEndpoint(Adder.class.getClassLoader(),
                    context("fw-b", "consumer"), new Class<?>[] {Adder.class}, description);
            assertThat(adder.add(20, 22)).isEqualTo(42);
        } finally {
            exporter.deactivate();
        }
        assertThat(exporting.status().subscriptions()).isEmpty();
    }

    @Test
    void aPollEndpointIsNotImportedByARuntimeItDoesNotPoll() {
        int hubPort = importing.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        HalibutDistributionProvider exporter = new HalibutDistributionProvider(context("fw-a", "dev.halibut.rsa"),
                ProviderConfigurations.polling("https://127.0.0.1:" + hubPort + "/", importing.thumbprint(), null, 1),
                new AbstractMap.SimpleEntry<>(Map.of("halibut.listen.ports", new Integer[0]), exporting),
                new ExportsHandedOver() { });
        try (HalibutRuntime bystander = runtime("bystander")) {
            bystander.trust(exporting.thumbprint());
            Endpoint endpoint = exporter.exportService((Adder) Integer::sum, context("fw-a", "adder.bundle"),
                    serviceProperties(), new Class<?>[] {Adder.class});

            assertThatThrownBy(() -> provider(bystander, 0).importEndpoint(Adder.class.getClassLoader(),
                    context("fw-c", "consumer"), new Class<?>[] {Adder.class}, endpoint.description()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(importing.thumbprint())
                    .hasMessageContaining(bystander.thumbprint()).hasMessageContaining("only that listener");
        } finally {
            exporter.deactivate();
        }
    }

    /** What Aries core passes: the service's properties with service.id moved to endpoint.service.id. */
    private static Map<String, Object> serviceProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put("objectClass", new String[] {Adder.class.getName()});
        p.put("service.exported.interfaces", "*");
        p.put("endpoint.service.id", 12L);
        p.put("region", "eu");
        return p;
    }

    private static HalibutDistributionProvider provider(HalibutRuntime runtime, int listenPort) {
        Map<String, Object> runtimeProperties = new HashMap<>();
        runtimeProperties.put("halibut.listen.ports", listenPort == 0 ? new Integer[0] : new Integer[] {listenPort});
        return new HalibutDistributionProvider(context("fw-a", "dev.halibut.rsa"), ProviderConfigurations.listening("127.0.0.1", 0),
                new AbstractMap.SimpleEntry<>(runtimeProperties, runtime), new ExportsHandedOver() { });
    }

    private static HalibutRuntime runtime(String name) {
        CertificateAndKey identity = Certificates.generateSelfSigned(name);
        return HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey()).build();
    }

    /** A bundle context that knows its framework's UUID and its bundle's symbolic name, and nothing else. */
    private static BundleContext context(String frameworkUuid, String symbolicName) {
        Bundle bundle = (Bundle) Proxy.newProxyInstance(Bundle.class.getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getSymbolicName" -> symbolicName;
                    case "toString" -> symbolicName;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, a) -> switch (m.getName()) {
                    case "getProperty" -> "org.osgi.framework.uuid".equals(a[0]) ? frameworkUuid : null;
                    case "getBundle" -> bundle;
                    case "toString" -> "context of " + symbolicName;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
