package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.MethodNotFoundException;
import dev.halibut.ServiceInvocationException;
import dev.halibut.ServiceNotFoundException;
import dev.halibut.wire.RemoteError;

/** Turns an error response into the exception the caller sees, naming the endpoint and method. */
final class RemoteErrors {

    private RemoteErrors() {
    }

    static HalibutClientException toException(RemoteError e, String endpoint, String service, String method) {
        String where = service + "." + method + " at " + endpoint;
        return switch (e.kind()) {
            case SERVICE_NOT_FOUND -> new ServiceNotFoundException(where + ": " + e.message()
                    + ". Check that the service host registers it and that both sides use the same contract name");
            case METHOD_NOT_FOUND -> new MethodNotFoundException(where + ": " + e.message());
            case INVOCATION -> new ServiceInvocationException(where + " threw " + e.type()
                    + (e.message().isEmpty() ? "" : ": " + e.message()), e.type(),
                    e.message().isEmpty() ? null : e.message(), e.details() == null ? "" : e.details());
            case BAD_REQUEST, SERVER_ERROR -> new HalibutClientException(where + " failed on the service host: " + e.message());
        };
    }
}
