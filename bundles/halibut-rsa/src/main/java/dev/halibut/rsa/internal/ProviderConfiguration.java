package dev.halibut.rsa.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** PID {@code dev.halibut.rsa}: how this framework's exports are published in endpoint descriptions. */
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
}
