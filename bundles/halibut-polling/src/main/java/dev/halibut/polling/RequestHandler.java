package dev.halibut.polling;

import java.io.IOException;

/** Runs one encoded request on the local services and returns the encoded response. */
@FunctionalInterface
public interface RequestHandler {

    /**
     * @throws dev.halibut.wire.ProtocolException the request is malformed (the connection is closed)
     */
    byte[] handle(byte[] request) throws IOException;
}
