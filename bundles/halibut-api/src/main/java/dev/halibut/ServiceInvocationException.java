package dev.halibut;

/**
 * The remote service method ran and threw. The remote exception is not re-created as a Java object
 * (nothing on the wire chooses a class); its type name, message and details (the remote stack
 * trace text) are carried instead.
 */
public class ServiceInvocationException extends HalibutClientException {

    private static final long serialVersionUID = 1L;

    private final String remoteType;
    private final String remoteMessage;
    private final String remoteDetails;

    public ServiceInvocationException(String message, String remoteType, String remoteMessage, String remoteDetails) {
        super(message);
        this.remoteType = remoteType;
        this.remoteMessage = remoteMessage;
        this.remoteDetails = remoteDetails;
    }

    /** Class name of the exception the remote service threw, e.g. {@code java.lang.ArithmeticException}. */
    public String getRemoteType() {
        return remoteType;
    }

    /** The remote exception's own message (may be {@code null}). */
    public String getRemoteMessage() {
        return remoteMessage;
    }

    /** The remote stack trace as text (may be empty). */
    public String getRemoteDetails() {
        return remoteDetails;
    }
}
