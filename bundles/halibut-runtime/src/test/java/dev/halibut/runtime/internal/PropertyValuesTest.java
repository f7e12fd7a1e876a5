package dev.halibut.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PropertyValuesTest {

    private static Object roundTrip(Object value) {
        return PropertyValues.decode(PropertyValues.encode("k", value));
    }

    @Test
    void scalarsArraysListsAndSetsKeepTheirTypes() {
        assertThat(roundTrip("s")).isEqualTo("s");
        assertThat(roundTrip(5)).isEqualTo(5);
        assertThat(roundTrip(5L)).isEqualTo(5L);
        assertThat(roundTrip((short) 5)).isEqualTo((short) 5);
        assertThat(roundTrip((byte) 5)).isEqualTo((byte) 5);
        assertThat(roundTrip('c')).isEqualTo('c');
        assertThat(roundTrip(0.1d)).isEqualTo(0.1d);
        assertThat(roundTrip(0.1f)).isEqualTo(0.1f);
        assertThat(roundTrip(true)).isEqualTo(true);
        assertThat((int[]) roundTrip(new int[] {1, 2})).containsExactly(1, 2);
        assertThat((Long[]) roundTrip(new Long[] {1L})).containsExactly(1L);
        assertThat((char[]) roundTrip(new char[] {'a'})).containsExactly('a');
        assertThat(roundTrip(List.of(1L, 2L))).isEqualTo(List.of(1L, 2L));
        assertThat(roundTrip(Set.of("a"))).isEqualTo(Set.of("a"));
    }

    @Test
    void otherTypesAreDescribedAsStrings() {
        assertThat(roundTrip(Thread.State.NEW)).isEqualTo("NEW");
        assertThat(roundTrip(List.of(1, "x"))).isEqualTo(List.of("1", "x"));
    }

    @Test
    void anInvalidPropertyIsRefusedNamingIt() {
        assertThatThrownBy(() -> PropertyValues.decode(new Description.Property("k", "Object", "scalar", List.of("x"))))
                .hasMessageContaining("property k").hasMessageContaining("unknown type 'Object'");
        assertThatThrownBy(() -> PropertyValues.decode(new Description.Property("k", "int", "scalar", List.of("1"))))
                .hasMessageContaining("arrays only");
        assertThatThrownBy(() -> PropertyValues.decode(new Description.Property("k", "Integer", "scalar", List.of("1.5"))))
                .hasMessageContaining("'1.5' is not a Integer");
        assertThatThrownBy(() -> PropertyValues.decode(new Description.Property("k", "Boolean", "scalar", List.of("yes"))))
                .hasMessageContaining("not a Boolean");
        assertThatThrownBy(() -> PropertyValues.decode(new Description.Property("k", "String", "scalar", List.of())))
                .hasMessageContaining("scalar with 0 values");
        assertThatThrownBy(() -> PropertyValues.decode(new Description.Property("k", "String", "bag", List.of("a"))))
                .hasMessageContaining("unknown kind 'bag'");
    }
}
