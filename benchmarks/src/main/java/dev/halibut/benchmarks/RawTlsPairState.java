package dev.halibut.benchmarks;

import java.io.IOException;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JMH state of the raw TLS floor: a thread-per-connection TLS server and its client context, with the host and
 * caller certificates, started once per trial and closed at its end; and a request of the size of Halibut's
 * {@code add(1,2)} REQUEST frame. A subclass, annotated {@code @State}, gives its scope.
 */
public abstract class RawTlsPairState {
    RawTlsPair pair;
    final byte[] request = new byte[Identities.ADD_REQUEST_BYTES];

    @Setup(Level.Trial)
    public void start() throws IOException {
        pair = new RawTlsPair(Identities.HOST, Identities.CALLER);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        pair.close();
    }
}
