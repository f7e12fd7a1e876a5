package dev.halibut;

/**
 * The remote service exists but has no method with the requested name and parameters, usually
 * because the two sides were built against different versions of the contract.
 */
public class MethodNotFoundException extends HalibutClientException {

    private static final long serialVersionUID = 1L;

    public MethodNotFoundException(String message) {
        super(message);
    }
}
