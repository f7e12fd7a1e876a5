package dev.halibut;

import java.io.IOException;
import java.io.OutputStream;

/** Writes a stream's content when it is sent; see {@link DataStream#fromWriter}. */
@FunctionalInterface
public interface DataStreamWriter {

    /**
     * Writes exactly the stream's declared length to {@code out}. Do not close {@code out}. May be called
     * once per send (a stream sent twice is written twice).
     */
    void writeTo(OutputStream out) throws IOException;
}
