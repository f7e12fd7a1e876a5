package dev.halibut.benchmarks;

/** Runtimes wired so that a caller reaches a service host's {@link Adder}: what the small-call benchmarks call through. */
interface AdderNodes extends AutoCloseable {

    /** A proxy for the host's Adder, called once so that the host is known to be reachable (a poller connected). */
    Adder warmAdder();

    /** Closes every runtime (and process) of the nodes. */
    @Override
    void close();
}
