package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportPlanTest {
    private static final String[] CLASSES = {"a.Calculator", "a.Admin"};

    @Test
    void starExportsEveryObjectClass() {
        ExportPlan plan = ExportPlan.of(Map.of("objectClass", CLASSES, "service.exported.interfaces", "*"));

        assertThat(plan.forUs()).isTrue();
        assertThat(plan.interfaces()).containsExactly("a.Calculator", "a.Admin");
        assertThat(plan.problems()).isEmpty();
    }

    @Test
    void aListExportsOnlyTheNamedInterfacesAndReportsNamesOutsideObjectClass() {
        ExportPlan plan = ExportPlan.of(Map.of("objectClass", CLASSES,
                "service.exported.interfaces", new String[] {"a.Admin", "b.Missing"}));

        assertThat(plan.interfaces()).containsExactly("a.Admin");
        assertThat(plan.problems()).singleElement().asString().contains("b.Missing").contains("not among");
    }

    @Test
    void configsNamingHalibutOrAbsentAreOursAndOtherConfigsAreLeftAlone() {
        assertThat(ExportPlan.of(Map.of("objectClass", CLASSES, "service.exported.interfaces", "*",
                "service.exported.configs", new String[] {"org.apache.cxf.ws", "dev.halibut"})).interfaces())
                .containsExactly(CLASSES);
        ExportPlan other = ExportPlan.of(Map.of("objectClass", CLASSES, "service.exported.interfaces", "*",
                "service.exported.configs", "org.apache.cxf.ws"));

        assertThat(other.forUs()).isFalse();
        assertThat(other.interfaces()).isEmpty();
        assertThat(other.problems()).as("another provider's service is not a problem").isEmpty();
    }

    @Test
    void anUnsupportedIntentPreventsTheExportAndIsReported() {
        ExportPlan plan = ExportPlan.of(Map.of("objectClass", CLASSES, "service.exported.interfaces", "*",
                "service.exported.intents", "osgi.confidential", "service.exported.intents.extra", "exactly.once"));

        assertThat(plan.interfaces()).isEmpty();
        assertThat(plan.problems()).singleElement().asString().contains("exactly.once");
    }

    @Test
    void intentsTheServiceProvidesItselfNeedNothingFromUs() {
        ExportPlan plan = ExportPlan.of(Map.of("objectClass", CLASSES, "service.exported.interfaces", "*",
                "service.exported.intents", "exactly.once", "service.intents", "exactly.once"));

        assertThat(plan.interfaces()).containsExactly(CLASSES);
    }
}
