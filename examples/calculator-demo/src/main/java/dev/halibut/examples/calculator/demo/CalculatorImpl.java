package dev.halibut.examples.calculator.demo;

import dev.halibut.examples.calculator.Calculator;

/** The service, run by the side that hosts it ("tentacle"). */
public class CalculatorImpl implements Calculator {
    @Override
    public int add(int a, int b) {
        return a + b;
    }

    @Override
    public int divide(int a, int b) {
        return a / b;
    }
}
