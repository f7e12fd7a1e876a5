package dev.halibut.runtime.it;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** The service side of {@link Calculator}; counts how often it is invoked. */
public class CalculatorService implements Calculator {
    public final AtomicInteger invocations = new AtomicInteger();

    @Override
    public int add(int a, int b) {
        invocations.incrementAndGet();
        return a + b;
    }

    @Override
    public CompletableFuture<Integer> addAsync(int a, int b) {
        throw new AssertionError("the service side never receives Async calls by that name");
    }

    @Override
    public long add(long a, long b) {
        invocations.incrementAndGet();
        return a + b + 1_000_000_000_000L;
    }

    @Override
    public double divide(double a, double b) {
        invocations.incrementAndGet();
        return a / b;
    }

    @Override
    public int divideExactly(int a, int b) {
        invocations.incrementAndGet();
        return a / b;
    }

    @Override
    public String echo(String text) {
        invocations.incrementAndGet();
        return text;
    }

    @Override
    public byte[] reverse(byte[] data) {
        invocations.incrementAndGet();
        byte[] r = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            r[i] = data[data.length - 1 - i];
        }
        return r;
    }

    @Override
    public Summary summarize(List<Integer> values) {
        invocations.incrementAndGet();
        return new Summary(values.size(), values.stream().mapToLong(Integer::longValue).sum(),
                values.stream().sorted().toList());
    }

    @Override
    public void fail(String message) {
        invocations.incrementAndGet();
        throw new IllegalStateException(message);
    }

    @Override
    public int slow(int millis) throws InterruptedException {
        invocations.incrementAndGet();
        Thread.sleep(millis); // simulates a slow service; the tests never use it to synchronise
        return millis;
    }
}
