package dev.halibut.registry.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Metatype description of factory PID {@code dev.halibut.import}. */
@ObjectClassDefinition(id = ImportSettings.FACTORY_PID, name = "Halibut import",
        description = "A remote service, registered locally under its contract interfaces.")
@interface ImportConfiguration {
    @AttributeDefinition(description = "https://host:port/ when the service host listens, poll://subscription/ when it polls this runtime.")
    String endpoint();

    @AttributeDefinition(description = "The remote runtime's certificate thumbprint (40 hex characters).")
    String thumbprint();

    @AttributeDefinition(required = false, description = "Fully qualified names of the contract interfaces;"
            + " by default those of the selected export, as the endpoint describes it.")
    String[] interfaces();

    @AttributeDefinition(required = false, description = "Selects the export with this endpoint.id, when the"
            + " endpoint exports several.")
    String endpoint_id();

    @AttributeDefinition(required = false, description = "Selects the export whose properties match this LDAP"
            + " filter, e.g. (region=eu), when the endpoint exports several.")
    String filter();
}
