package dev.halibut.rsa.internal;

import dev.halibut.ServiceEndPoint;
import java.net.URI;
import java.util.Objects;

/**
 * Where importers reach this framework's exports, as its endpoint descriptions say: the runtime's own listener
 * ({@code https://host:port/}), or, for a node that polls, a subscription ({@code poll://subscription/}) of the
 * one listener it polls: only that listener can queue requests its poller collects, so only that listener may
 * import (docs/osgi.md, "Polling under discovery").
 *
 * @param endpoint the {@code dev.halibut.endpoint} of the descriptions
 * @param polled   for a subscription, the listener polled (its {@code https://} URI and thumbprint); else null
 */
record Publication(URI endpoint, ServiceEndPoint polled) {

    Publication {
        Objects.requireNonNull(endpoint, "endpoint");
        if (polled != null && polled.isPolling()) {
            throw new IllegalArgumentException("The listener polled for " + endpoint + " must be an https:// endpoint, not "
                    + polled.baseUri());
        }
    }

    /** Exports called at this framework's listener. */
    static Publication listening(URI https) {
        return new Publication(https, null);
    }

    /** Exports queued by {@code listener} for {@code subscription}, which this framework polls. */
    static Publication polling(URI subscription, ServiceEndPoint listener) {
        return new Publication(subscription, Objects.requireNonNull(listener, "listener"));
    }

    boolean isPolling() {
        return polled != null;
    }
}
