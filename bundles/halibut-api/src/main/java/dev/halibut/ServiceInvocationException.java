package dev.halibut;

/**
 * The remote service method ran and threw. Its type name, message and details (the remote stack trace
 * text) are carried here; the remote exception itself is not re-created from the wire (nothing on the wire
 * chooses a class). The one exception: when the invoked contract method declares exactly that type in its
 * {@code throws} clause, the caller gets a new instance of the declared type instead, with this exception,
 * and so the remote stack trace text, as its cause (see {@code HalibutRuntime.createClient}).
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
