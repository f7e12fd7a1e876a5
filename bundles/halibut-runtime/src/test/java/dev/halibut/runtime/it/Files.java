package dev.halibut.runtime.it;

import dev.halibut.DataStream;
import java.util.List;

/** A contract that moves streams both ways. */
public interface Files {

    /** SHA-256 (hex) of the request stream's content. */
    String sha256(DataStream data);

    /** A stream of {@code size} deterministic bytes from {@code seed} (see {@link TestBytes}). */
    DataStream produce(long size, long seed);

    /** SHA-256 of each stream in the bundle, in order: main first, then the others. */
    List<String> digestAll(Bundle bundle, DataStream extra);

    /** A bundle whose streams are copies of the ones received. */
    Bundle echo(Bundle bundle);

    /** A stream whose writer throws after {@code failAt} bytes. */
    DataStream produceFailing(long size, long failAt);

    record Bundle(String name, DataStream main, List<DataStream> others) {
    }
}
