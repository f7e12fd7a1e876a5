package dev.halibut.benchmarks;

import dev.halibut.HalibutLimits;
import io.grpc.ManagedChannel;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenario 5: connection set-up. One operation = a new TCP connection, the mutual TLS 1.3 handshake, the
 * first call, and the close; one caller thread. Halibut: a caller runtime whose pool keeps no idle
 * connection ({@code poolMaxIdlePerEndpoint = 0}), so every {@code add(1,2)} connects, identifies, calls and
 * ends the connection with END: the honest equivalent of gRPC's new channel per call (a runtime per
 * operation would also count key-store and thread set-up, which gRPC's channel does not have). gRPC: a new
 * channel, one unary call, {@code shutdownNow} and wait for termination. The raw floor: a new socket,
 * handshake, one ping-pong of Halibut's frame sizes, close. All three keep their client TLS context, so TLS
 * session resumption is available to each alike.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class ConnectionSetupBenchmark {

    @State(Scope.Benchmark)
    public static class Halibut extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.listening(Identities.CALLER, Identities.HOST,
                    HalibutLimits.defaults().withPoolMaxIdlePerEndpoint(0));
        }
    }

    /** The same on OpenSSL (tlsProvider "openssl") at both ends. */
    @State(Scope.Benchmark)
    public static class HalibutOpenSsl extends WarmAdderState {
        @Override
        AdderNodes startNodes() {
            return HalibutNodes.listening(Identities.CALLER, Identities.HOST,
                    HalibutLimits.defaults().withPoolMaxIdlePerEndpoint(0), "openssl");
        }
    }

    @State(Scope.Benchmark)
    public static class Raw extends RawTlsPairState {
    }

    @State(Scope.Benchmark)
    public static class Grpc {
        GrpcPeer peer;

        @Setup(Level.Trial)
        public void start() throws IOException {
            peer = new GrpcPeer(Identities.HOST, Identities.CALLER);
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            peer.close();
        }
    }

    @Benchmark
    public int halibut(Halibut s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int halibutOpenSsl(HalibutOpenSsl s) {
        return s.adder.add(1, 2);
    }

    @Benchmark
    public int rawTls(Raw s) throws IOException {
        try (RawTlsPair.Client c = s.pair.connect()) {
            return c.pingPong(s.request, Identities.ADD_RESPONSE_BYTES);
        }
    }

    @Benchmark
    public int grpc(Grpc s) throws InterruptedException {
        ManagedChannel channel = s.peer.newChannel();
        try {
            return GrpcPeer.add(channel, 1, 2);
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
