package dev.halibut.benchmarks;

import dev.halibut.HalibutLimits;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenario 3: 64 caller threads calling {@code add(1,2)} (or its baseline) as fast as they can; calls per
 * second in all. Halibut: one caller runtime and one service host, listening (the pool grows to one
 * connection per concurrent call; with the default {@code poolMaxIdlePerEndpoint}, 64 since 2026-11-27 and 8
 * before, and with 64 set explicitly) and
 * polling (the host polls with 64 connections, so 64 requests can be in flight). The raw floor: one TLS
 * connection per caller thread to a thread-per-connection server. gRPC: one shared channel (HTTP/2
 * multiplexes the 64 calls), as a gRPC user would.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(64)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class ConcurrentCallsBenchmark {

    static final int CALLERS = 64;

    @State(Scope.Benchmark)
    public static class ListeningDefaultPool extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults());
        }
    }

    @State(Scope.Benchmark)
    public static class ListeningPool64 extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.listening(Identities.CALLER, Identities.HOST,
                    HalibutLimits.defaults().withPoolMaxIdlePerEndpoint(CALLERS));
        }
    }

    @State(Scope.Benchmark)
    public static class Polling extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.polling(Identities.CALLER, Identities.HOST, CALLERS);
        }
    }

    @State(Scope.Benchmark)
    public static class RawServer extends RawTlsPairState {
    }

    /** Each caller thread's own raw connection. */
    @State(Scope.Thread)
    public static class RawConnection {
        RawTlsPair.Client client;
        final byte[] request = new byte[Identities.ADD_REQUEST_BYTES];

        @Setup(Level.Trial)
        public void start(RawServer server) throws IOException {
            client = server.pair.connect();
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            client.close();
        }
    }

    @Benchmark
    public int halibutListening(ListeningDefaultPool s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int halibutListeningPool64(ListeningPool64 s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int halibutPolling(Polling s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int rawTls(RawConnection c) throws IOException {
        return c.client.pingPong(c.request, Identities.ADD_RESPONSE_BYTES);
    }

    @Benchmark
    public int grpc(GrpcAdderState s) {
        return s.peer.add(1, 2);
    }
}
