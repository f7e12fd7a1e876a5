package dev.halibut;

/** The remote runtime has no service registered under the requested contract name. */
public class ServiceNotFoundException extends HalibutClientException {

    private static final long serialVersionUID = 1L;

    public ServiceNotFoundException(String message) {
        super(message);
    }
}
