package dev.halibut.transport.internal;

import java.security.cert.CertificateException;

/** The listener presented a certificate other than the one the endpoint names. */
public final class ServerThumbprintMismatchException extends CertificateException {

    private static final long serialVersionUID = 1L;
    private final String expected;
    private final String actual;

    public ServerThumbprintMismatchException(String expected, String actual) {
        super("Server certificate thumbprint " + actual + " does not match the expected " + expected);
        this.expected = expected;
        this.actual = actual;
    }

    public String expected() {
        return expected;
    }

    public String actual() {
        return actual;
    }
}
