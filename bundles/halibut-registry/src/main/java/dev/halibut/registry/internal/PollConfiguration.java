package dev.halibut.registry.internal;

import dev.halibut.registry.config.HalibutConfig;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Metatype description of factory PID {@code dev.halibut.poll}. */
@ObjectClassDefinition(id = HalibutConfig.POLL_FACTORY_PID, name = "Halibut polling subscription",
        description = "This runtime dials out to a listening caller and serves the requests queued for a subscription.")
@interface PollConfiguration {
    @AttributeDefinition(description = "The poll:// URI the caller addresses this host by, e.g. poll://my-host/.")
    String subscription();

    @AttributeDefinition(description = "The listening caller, e.g. https://caller.example:8443/.")
    String endpoint();

    @AttributeDefinition(description = "The caller's certificate thumbprint (40 hex characters).")
    String thumbprint();

    @AttributeDefinition(required = false, description = "Parallel polling connections (default 1).")
    int connections() default 1;
}
