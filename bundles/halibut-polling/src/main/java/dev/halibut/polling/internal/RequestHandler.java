package dev.halibut.polling.internal;

import dev.halibut.transport.Connection;
import dev.halibut.wire.Frame;
import java.io.IOException;

/**
 * Serves one request that arrived on a connection: reads its streams, runs it on the local services,
 * and sends the response with its streams.
 */
@FunctionalInterface
public interface RequestHandler {

    /**
     * @param connection the connection the request came on; the response goes back on it
     * @param request    the REQUEST frame just read
     * @throws IOException the exchange failed; the connection must be closed
     */
    void serve(Connection connection, Frame request) throws IOException;
}
