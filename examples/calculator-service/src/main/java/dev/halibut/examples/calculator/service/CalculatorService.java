package dev.halibut.examples.calculator.service;

import dev.halibut.examples.calculator.Calculator;
import org.osgi.service.component.annotations.Component;

/**
 * The calculator, registered as an OSGi service and made remote by its {@code service.exported.interfaces}
 * property: the halibut-registry bundle serves it to trusted callers, listening or polling.
 */
@Component(service = Calculator.class, property = "service.exported.interfaces=*")
public class CalculatorService implements Calculator {

    @Override
    public int add(int a, int b) {
        return a + b;
    }

    @Override
    public int divide(int a, int b) {
        if (b == 0) {
            throw new ArithmeticException("Cannot divide " + a + " by zero");
        }
        return a / b;
    }
}
