package dev.halibut.benchmarks;

import dev.halibut.DataStream;

/** The contract the stream benchmarks call. */
public interface Sink {

    /** Reads the stream to its end; returns the number of bytes read. */
    long consume(DataStream data);

    /** A stream of {@code size} bytes. */
    DataStream produce(long size);
}
