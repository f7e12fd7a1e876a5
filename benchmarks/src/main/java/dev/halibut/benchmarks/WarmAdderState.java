package dev.halibut.benchmarks;

import java.io.IOException;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JMH state of a benchmark that calls {@code add} through {@link AdderNodes}: started and warmed once per trial,
 * closed at its end. A subclass, annotated {@code @State}, says which nodes.
 */
public abstract class WarmAdderState {
    private AdderNodes nodes;
    Adder adder;

    /** The nodes of this state, started; called once per trial. */
    abstract AdderNodes startNodes() throws IOException;

    @Setup(Level.Trial)
    public void start() throws IOException {
        nodes = startNodes();
        adder = nodes.warmAdder();
    }

    @TearDown(Level.Trial)
    public void stop() {
        nodes.close();
    }
}
