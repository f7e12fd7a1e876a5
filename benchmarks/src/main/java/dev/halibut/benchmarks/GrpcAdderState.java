package dev.halibut.benchmarks;

import java.io.IOException;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The gRPC baseline for small calls: one channel to a unary {@code Add}, warmed by a first call. */
@State(Scope.Benchmark)
public class GrpcAdderState {
    GrpcPeer peer;

    @Setup(Level.Trial)
    public void start() throws IOException {
        peer = new GrpcPeer(Identities.HOST, Identities.CALLER);
        peer.add(1, 2);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        peer.close();
    }
}
