package dev.halibut.rsa.internal;

import java.lang.annotation.Annotation;

/** PID dev.halibut.rsa values for tests, as SCR would hand them to the provider. */
final class ProviderConfigurations {
    private ProviderConfigurations() {
    }

    /** Exports published at the runtime's listener, advertised as {@code host} and {@code port} (0: the listen port). */
    static ProviderConfiguration listening(String host, int port) {
        return of(host, port, null, null, null, 1);
    }

    /** Exports published as {@code subscription} (null: the default) of the listener at {@code endpoint}. */
    static ProviderConfiguration polling(String endpoint, String thumbprint, String subscription, int connections) {
        return of(null, 0, endpoint, thumbprint, subscription, connections);
    }

    private static ProviderConfiguration of(String host, int port, String pollingEndpoint, String pollingThumbprint,
                                            String subscription, int connections) {
        return new ProviderConfiguration() {
            @Override
            public String advertised_host() {
                return host;
            }

            @Override
            public int advertised_port() {
                return port;
            }

            @Override
            public String polling_endpoint() {
                return pollingEndpoint;
            }

            @Override
            public String polling_thumbprint() {
                return pollingThumbprint;
            }

            @Override
            public String polling_subscription() {
                return subscription;
            }

            @Override
            public int polling_connections() {
                return connections;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ProviderConfiguration.class;
            }
        };
    }
}
