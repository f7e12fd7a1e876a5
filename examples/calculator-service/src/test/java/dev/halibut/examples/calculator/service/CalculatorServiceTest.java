package dev.halibut.examples.calculator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CalculatorServiceTest {

    private final CalculatorService calculator = new CalculatorService();

    @Test
    void adds() {
        assertThat(calculator.add(1, 2)).isEqualTo(3);
        assertThat(calculator.add(-5, 2)).isEqualTo(-3);
    }

    @Test
    void dividesTowardsZero() {
        assertThat(calculator.divide(10, 2)).isEqualTo(5);
        assertThat(calculator.divide(7, -2)).isEqualTo(-3);
    }

    @Test
    void divisionByZeroSaysWhatWasDivided() {
        assertThatThrownBy(() -> calculator.divide(7, 0))
                .isExactlyInstanceOf(ArithmeticException.class)
                .hasMessage("Cannot divide 7 by zero");
    }
}
