package dev.halibut.runtime.internal;

import dev.halibut.HttpProxy;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.RuntimeStatus;

/** The route of a connection as operators see it ({@code halibut:status}, {@link RuntimeStatus}). */
final class Routes {
    private Routes() {
    }

    /**
     * {@value RuntimeStatus#POLLED} for a {@code poll://} endpoint, {@code proxy host:port} when a connection to
     * {@code endpoint} goes through an HTTP proxy (its own or {@code runtimeProxy}), else {@value RuntimeStatus#DIRECT};
     * for a {@code wss://} endpoint {@value RuntimeStatus#WSS}, or {@code wss via proxy host:port}.
     */
    static String of(ServiceEndPoint endpoint, HttpProxy runtimeProxy) {
        if (endpoint.isPolling()) {
            return RuntimeStatus.POLLED;
        }
        boolean wss = ServiceEndPoint.WSS.equalsIgnoreCase(endpoint.baseUri().getScheme());
        return endpoint.proxyOr(runtimeProxy)
                .map(p -> (wss ? RuntimeStatus.WSS + " via " : "") + RuntimeStatus.PROXY_PREFIX + p.address())
                .orElse(wss ? RuntimeStatus.WSS : RuntimeStatus.DIRECT);
    }
}
