package dev.halibut.runtime.it;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The calculator contract of the design's examples, plus a few shapes the tests need. */
public interface Calculator {
    int add(int a, int b);

    CompletableFuture<Integer> addAsync(int a, int b);

    long add(long a, long b);

    double divide(double a, double b);

    int divideExactly(int a, int b);

    String echo(String text);

    byte[] reverse(byte[] data);

    Summary summarize(List<Integer> values);

    void fail(String message);

    int slow(int millis) throws InterruptedException;

    record Summary(int count, long sum, List<Integer> sorted) {
    }
}
