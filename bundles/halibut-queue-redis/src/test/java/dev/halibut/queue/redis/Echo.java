package dev.halibut.queue.redis;

import dev.halibut.DataStream;

/** The contract the tests call across nodes. */
public interface Echo {

    String echo(String text);

    /** Blocks until the test releases it (to kill a node mid-call). */
    String slow(String text);

    long count(DataStream data);

    DataStream repeat(byte value, int times);
}
