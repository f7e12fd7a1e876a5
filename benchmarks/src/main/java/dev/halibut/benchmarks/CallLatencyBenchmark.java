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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenarios 1 and 2: sequential small calls on a warm connection, one caller thread. Latency
 * distribution (JMH SampleTime: median and p99). Halibut's {@code add(1,2)} in listening and polling mode;
 * the raw floor ping-pongs as many bytes as Halibut's REQUEST and RESPONSE frames over one JSSE TLS 1.3
 * connection; gRPC calls a unary {@code Add} (8 bytes in, 4 out) on one channel.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class CallLatencyBenchmark {

    @State(Scope.Benchmark)
    public static class Listening extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults());
        }
    }

    @State(Scope.Benchmark)
    public static class Polling extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.polling(Identities.CALLER, Identities.HOST, 1);
        }
    }

    @State(Scope.Benchmark)
    public static class Raw extends RawTlsPairState {
        @Setup(Level.Trial)
        public void describe() {
            System.out.println("raw ping-pong: " + Identities.ADD_REQUEST_BYTES + " bytes out, "
                    + Identities.ADD_RESPONSE_BYTES + " back (Halibut's add(1,2) frames)");
        }
    }

    @Benchmark
    public int halibutListening(Listening s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int halibutPolling(Polling s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int rawTls(Raw s) throws IOException {
        return s.pair.pingPong(s.request, Identities.ADD_RESPONSE_BYTES);
    }

    @Benchmark
    public int grpc(GrpcAdderState s) {
        return s.peer.add(1, 2);
    }
}
