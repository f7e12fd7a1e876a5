package dev.halibut.examples.calculator;

/** The contract both sides share. Its wire name is its simple name, "Calculator". */
public interface Calculator {
    int add(int a, int b);

    int divide(int a, int b);
}
