package dev.halibut.benchmarks;

/** The contract of the small-call benchmarks: Halibut's {@code add(1,2)}. */
public interface Adder {

    int add(int a, int b);

    /** The service side. */
    final class Impl implements Adder {
        @Override
        public int add(int a, int b) {
            return a + b;
        }
    }
}
