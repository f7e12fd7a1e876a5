package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceNotFoundException;
import dev.halibut.runtime.ExportDescription;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The built-in {@code halibut.describe} service and several exports of one contract, through the public
 * API, in both modes: what a peer exports, with its typed properties, and how each export is reached.
 */
class ExportDescriptionTest {


    private static final URI SUBSCRIPTION = URI.create("poll://describe/");

    @RegisterExtension
    final TestResources resources = new TestResources();
    private HalibutRuntime tentacle;
    private HalibutRuntime caller;

    /** The tentacle serves; the caller reaches it in {@code mode}; returns the tentacle's endpoint. */
    private ServiceEndPoint connect(Mode mode) {
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey()).build();
        caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        resources.add(caller);
        resources.add(tentacle);
        ModeWiring.Wired wired = ModeWiring.wire(mode, caller, tentacle, SUBSCRIPTION);
        if (wired.subscription() != null) {
            resources.addFirst(wired.subscription());
        }
        return wired.endpoint();
    }

    /** A calculator whose echo says which one answered. */
    static final class Named extends CalculatorService {
        private final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public String echo(String text) {
            return name + ":" + text;
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void describeReturnsEachExportWithItsTypedProperties(Mode mode) {
        ServiceEndPoint endpoint = connect(mode);
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("region", "eu");
        properties.put("weight", 5);
        properties.put("big", 7L);
        properties.put("ratio", 0.5d);
        properties.put("flag", Boolean.TRUE);
        properties.put("letter", 'x');
        properties.put("tags", new String[] {"a", "b"});
        properties.put("ids", new long[] {1, 2});
        properties.put("list", List.of(1, 2));
        properties.put("set", Set.of("only"));
        HalibutRuntime.ServiceRegistration registration = tentacle.register(Calculator.class, new Named("one"), properties);

        List<ExportDescription> described = caller.describe(endpoint);

        assertThat(described).hasSize(1);
        ExportDescription export = described.get(0);
        assertThat(export.endpointId()).isEqualTo(registration.endpointId());
        assertThat(export.interfaces()).containsExactly(Calculator.class.getName());
        assertThat(export.addresses()).containsEntry(Calculator.class.getName(), registration.address());
        Map<String, Object> p = export.properties();
        assertThat(p).containsEntry("region", "eu").containsEntry("weight", 5).containsEntry("big", 7L)
                .containsEntry("ratio", 0.5d).containsEntry("flag", true).containsEntry("letter", 'x')
                .containsEntry("list", List.of(1, 2)).containsEntry("set", Set.of("only"))
                .containsEntry("endpoint.id", registration.endpointId());
        assertThat((String[]) p.get("tags")).containsExactly("a", "b");
        assertThat((long[]) p.get("ids")).containsExactly(1L, 2L);
        assertThat((String[]) p.get("objectClass")).containsExactly(Calculator.class.getName());
        assertThat(p.get("endpoint.service.id")).isInstanceOf(Long.class);
        assertThat(p.get("endpoint.framework.uuid")).isInstanceOf(String.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void twoExportsOfOneContractAreEachReachableAtTheirAddress(Mode mode) {
        ServiceEndPoint endpoint = connect(mode);
        HalibutRuntime.ServiceRegistration one = tentacle.register(Calculator.class, new Named("one"), Map.of());
        HalibutRuntime.ServiceRegistration two = tentacle.register(Calculator.class, new Named("two"), Map.of());

        assertThat(one.endpointId()).isNotEqualTo(two.endpointId());
        assertThat(caller.describe(endpoint)).extracting(ExportDescription::endpointId)
                .containsExactly(one.endpointId(), two.endpointId());
        assertThat(caller.createClient(Calculator.class, endpoint, one.address()).echo("hi")).isEqualTo("one:hi");
        assertThat(caller.createClient(Calculator.class, endpoint, two.address()).echo("hi")).isEqualTo("two:hi");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void thePlainNameReachesTheHighestRankingThenTheEarliestExport(Mode mode) {
        ServiceEndPoint endpoint = connect(mode);
        Calculator plain = caller.createClient(Calculator.class, endpoint);
        HalibutRuntime.ServiceRegistration first = tentacle.register(Calculator.class, new Named("first"), Map.of());
        tentacle.register(Calculator.class, new Named("second"), Map.of());
        assertThat(plain.echo("x")).isEqualTo("first:x");

        HalibutRuntime.ServiceRegistration ranked = tentacle.register(Calculator.class, new Named("ranked"),
                Map.of("service.ranking", 5));
        assertThat(plain.echo("x")).isEqualTo("ranked:x");

        ranked.close();
        assertThat(plain.echo("x")).isEqualTo("first:x");
        first.close();
        assertThat(plain.echo("x")).isEqualTo("second:x");
    }

    @Test
    void anExportIsGoneFromTheDescriptionAndItsAddressOnceClosed() {
        ServiceEndPoint endpoint = connect(Mode.LISTENING);
        HalibutRuntime.ServiceRegistration one = tentacle.register(Calculator.class, new Named("one"), Map.of());
        Calculator byAddress = caller.createClient(Calculator.class, endpoint, one.address());
        assertThat(byAddress.echo("a")).isEqualTo("one:a");

        one.close();

        assertThat(caller.describe(endpoint)).isEmpty();
        assertThatThrownBy(() -> byAddress.echo("a")).isInstanceOf(ServiceNotFoundException.class);
    }

    @Test
    void setPropertiesChangesTheDescriptionButNotTheEndpointId() {
        ServiceEndPoint endpoint = connect(Mode.LISTENING);
        HalibutRuntime.ServiceRegistration one = tentacle.register(Calculator.class, new Named("one"),
                Map.of("colour", "red"));

        one.setProperties(Map.of("colour", "blue"));

        ExportDescription export = caller.describe(endpoint).get(0);
        assertThat(export.endpointId()).isEqualTo(one.endpointId());
        assertThat(export.properties()).containsEntry("colour", "blue");
    }

    @Test
    void aChosenEndpointIdIsKeptAndTwoContractsMayShareIt() {
        ServiceEndPoint endpoint = connect(Mode.LISTENING);
        tentacle.register(Calculator.class, new Named("one"), Map.of("endpoint.id", "calc-1"));
        tentacle.register(Files.class, new FilesService(), Map.of("endpoint.id", "calc-1"));

        List<ExportDescription> described = caller.describe(endpoint);

        assertThat(described).hasSize(1);
        assertThat(described.get(0).endpointId()).isEqualTo("calc-1");
        assertThat(described.get(0).interfaces()).containsExactly(Calculator.class.getName(), Files.class.getName());
        assertThatThrownBy(() -> tentacle.register(Calculator.class, new Named("dup"), Map.of("endpoint.id", "calc-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("calc-1");
    }
}
