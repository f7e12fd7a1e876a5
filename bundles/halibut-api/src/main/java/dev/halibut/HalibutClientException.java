package dev.halibut;

/**
 * A remote call failed. The message says what failed, where (endpoint, service, method) and,
 * where it can, what to do about it. Subclasses name the failures a caller may want to tell apart.
 */
public class HalibutClientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public HalibutClientException(String message) {
        super(message);
    }

    public HalibutClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
