package dev.halibut.runtime.it.interop;

/** Declared by {@link InteropService#charge}: the Python peer names it in an {@code invocation} error. */
public class PaymentDeclinedException extends Exception {
    private static final long serialVersionUID = 1L;

    public PaymentDeclinedException(String message) {
        super(message);
    }
}
