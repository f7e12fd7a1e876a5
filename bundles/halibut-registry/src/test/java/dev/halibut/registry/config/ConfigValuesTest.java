package dev.halibut.registry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigValuesTest {

    @Test
    void aListIsReadFromACommaSeparatedStringAnArrayOrACollection() {
        assertThat(ConfigValues.list(" a, b ,,c ")).containsExactly("a", "b", "c");
        assertThat(ConfigValues.list(new String[] {"a", " ", "b,c"})).containsExactly("a", "b", "c");
        assertThat(ConfigValues.list(new int[] {8443, 0})).containsExactly("8443", "0");
        assertThat(ConfigValues.list(List.of("x"))).containsExactly("x");
        assertThat(ConfigValues.list(null)).isEmpty();
    }

    @Test
    void aListIsWrittenBackInTheShapeItHad() {
        Map<String, Object> fromFile = new HashMap<>(Map.of("k", "a"));
        ConfigValues.putList(fromFile, "k", List.of("a", "b"));
        assertThat(fromFile.get("k")).isEqualTo("a,b");

        Map<String, Object> typed = new HashMap<>(Map.of("k", new String[] {"a"}));
        ConfigValues.putList(typed, "k", List.of("a", "b"));
        assertThat((String[]) typed.get("k")).containsExactly("a", "b");

        Map<String, Object> absent = new HashMap<>();
        ConfigValues.putList(absent, "k", List.of("a"));
        assertThat(absent.get("k")).isEqualTo("a");

        ConfigValues.putList(typed, "k", List.of());
        assertThat(typed).doesNotContainKey("k");
    }

    @Test
    void errorsNameThePidTheKeyAndTheValue() {
        ConfigValues c = new ConfigValues("dev.halibut.runtime", Map.of("t", "10", "n", "x", "s", "12 parsecs"));

        assertThatThrownBy(() -> c.duration("t", null)).hasMessageStartingWith("dev.halibut.runtime: t = '10' is not valid: a duration");
        assertThatThrownBy(() -> c.integer("n", 1, 0)).hasMessage("dev.halibut.runtime: n = 'x' is not valid: not a whole number");
        assertThatThrownBy(() -> c.size("s", 1)).hasMessageStartingWith("dev.halibut.runtime: s = '12 parsecs' is not valid: a size");
        assertThatThrownBy(() -> c.requiredString("missing", "example"))
                .hasMessage("dev.halibut.runtime: 'missing' is required (e.g. missing = example)");
    }

    @Test
    void theKeystoreIsTheConfiguredOneOrTheGeneratedOneUnderKarafData() {
        assertThat(HalibutConfig.keystore(Map.of(HalibutConfig.KEYSTORE_PATH, "/etc/k.p12"))).isEqualTo(Path.of("/etc/k.p12"));
        assertThat(HalibutConfig.passwordFile(Path.of("/etc/k.p12"))).isEqualTo(Path.of("/etc/k.p12.password"));
        String before = System.getProperty("karaf.data");
        try {
            System.setProperty("karaf.data", "/opt/karaf/data");
            assertThat(HalibutConfig.keystore(Map.of())).isEqualTo(Path.of("/opt/karaf/data/halibut/halibut.p12"));
            System.clearProperty("karaf.data");
            assertThat(HalibutConfig.keystore(Map.of())).isNull();
        } finally {
            if (before != null) {
                System.setProperty("karaf.data", before);
            }
        }
    }
}
