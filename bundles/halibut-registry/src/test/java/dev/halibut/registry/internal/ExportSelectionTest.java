package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.runtime.ExportDescription;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportSelectionTest {
    private static final String T = "0123456789abcdef0123456789abcdef01234567";
    private static final ExportDescription EU = export("e-eu", "a.Calculator", Map.of("region", "eu"));
    private static final ExportDescription US = export("e-us", "a.Calculator", Map.of("region", "us"));
    private static final ExportDescription GREETER = export("e-g", "a.Greeter", Map.of());

    private static ExportDescription export(String id, String iface, Map<String, Object> properties) {
        return new ExportDescription(id, List.of(iface), Map.of(iface, "X@" + id), properties);
    }

    private static ImportSettings settings(Object... keysAndValues) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("endpoint", "https://h:1/", "thumbprint", T));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            config.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return ImportSettings.parse(config);
    }

    @Test
    void theOnlyExportIsTakenWithoutAnySelection() {
        assertThat(ExportSelection.select(List.of(EU), settings()).chosen()).isEqualTo(EU);
    }

    @Test
    void interfacesNarrowTheCandidates() {
        assertThat(ExportSelection.select(List.of(EU, GREETER), settings("interfaces", "a.Greeter")).chosen())
                .isEqualTo(GREETER);
    }

    @Test
    void anEndpointIdOrAFilterPicksOneOfSeveral() {
        assertThat(ExportSelection.select(List.of(EU, US), settings("endpoint.id", "e-us")).chosen()).isEqualTo(US);
        assertThat(ExportSelection.select(List.of(EU, US), settings("filter", "(region=eu)")).chosen()).isEqualTo(EU);
    }

    @Test
    void severalMatchesAreAmbiguousAndNameTheCandidates() {
        ExportSelection.Choice choice = ExportSelection.select(List.of(EU, US),
                settings("interfaces", "a.Calculator"));
        assertThat(choice.chosen()).isNull();
        assertThat(choice.problem()).contains("ambiguous").contains("endpoint.id=e-eu").contains("endpoint.id=e-us")
                .contains("region=eu").contains("'endpoint.id' or a 'filter'");
    }

    @Test
    void noMatchSaysWhatTheEndpointExports() {
        ExportSelection.Choice choice = ExportSelection.select(List.of(EU), settings("filter", "(region=mars)"));
        assertThat(choice.chosen()).isNull();
        assertThat(choice.problem()).contains("no export").contains("(region=mars)").contains("endpoint.id=e-eu");
    }
}
