package dev.halibut.rsa.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * PID {@code dev.halibut.rsa}: how this framework's exports are published in endpoint descriptions: at the
 * runtime's listener ({@code advertised.*}), or through a subscription of a listener this node polls
 * ({@code polling.*}, which takes precedence). docs/osgi.md lists the keys.
 */
@ObjectClassDefinition(name = "Halibut Remote Service Admin provider",
        description = "How exports appear in endpoint descriptions that discovery publishes")
@interface ProviderConfiguration {

    @AttributeDefinition(name = "Advertised host", required = false,
            description = "Host name or address importers dial (the host of dev.halibut.endpoint). Default: this "
                    + "machine's canonical host name")
    String advertised_host();

    @AttributeDefinition(name = "Advertised port", required = false,
            description = "Port importers dial, when it differs from the runtime's listen port (a port forward). "
                    + "Default: the runtime's first listen port")
    int advertised_port() default 0;

    @AttributeDefinition(name = "Polled listener", required = false,
            description = "For a node that can only dial out: the https:// URI of the listener this node polls, e.g. "
                    + "https://hub.example:8443/. When set, this provider polls it and publishes every export as "
                    + "polling.subscription, which only that listener imports")
    String polling_endpoint();

    @AttributeDefinition(name = "Polled listener's thumbprint", required = false,
            description = "The certificate thumbprint the polled listener must present (40 hex characters); "
                    + "required with polling.endpoint")
    String polling_thumbprint();

    @AttributeDefinition(name = "Subscription", required = false,
            description = "The poll:// URI this node's exports are published and collected under. Default: "
                    + "poll://rsa-<this runtime's thumbprint, lower case>/")
    String polling_subscription();

    @AttributeDefinition(name = "Polling connections", required = false,
            description = "Parallel polling connections to the listener (default 1)")
    int polling_connections() default 1;
}
