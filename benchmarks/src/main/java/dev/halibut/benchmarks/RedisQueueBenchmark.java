package dev.halibut.benchmarks;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenario 7: polling calls through the shared Redis queue against the in-memory queue, in the same run.
 * In-memory: one listening caller, the service host polls it. Redis: the caller on node A, the service host
 * polls node B, both nodes on one local {@code redis-server}, so every call crosses nodes. Latency of a
 * sequential {@code add(1,2)} (SampleTime, one thread, one polling connection) and throughput of 64 callers
 * (Throughput, 64 threads, 64 polling connections).
 */
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class RedisQueueBenchmark {

    @State(Scope.Benchmark)
    public static class InMemory1 extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.polling(Identities.CALLER, Identities.HOST, 1);
        }
    }

    @State(Scope.Benchmark)
    public static class Redis1 extends WarmAdderState {
        @Override
        AdderNodes startNodes() throws IOException {
            return new RedisNodes(1);
        }
    }

    @State(Scope.Benchmark)
    public static class InMemory64 extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.polling(Identities.CALLER, Identities.HOST, ConcurrentCallsBenchmark.CALLERS);
        }
    }

    @State(Scope.Benchmark)
    public static class Redis64 extends WarmAdderState {
        @Override
        AdderNodes startNodes() throws IOException {
            return new RedisNodes(ConcurrentCallsBenchmark.CALLERS);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public int latencyInMemoryQueue(InMemory1 s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(1)
    public int latencyRedisQueue(Redis1 s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(64)
    public int throughput64InMemoryQueue(InMemory64 s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(64)
    public int throughput64RedisQueue(Redis64 s) {
        return s.adder.add(1, 2);
    }
}
