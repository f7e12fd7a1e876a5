package dev.halibut;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Certificate thumbprints: the SHA-1 of the certificate's DER encoding as 40 upper-case hex
 * characters. Thumbprints are compared case-insensitively; {@link #normalize} gives the canonical
 * form.
 */
public final class Thumbprints {

    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private Thumbprints() {
    }

    /** The thumbprint of {@code certificate}. */
    public static String of(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded());
            return HEX.formatHex(digest);
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("Certificate " + certificate.getSubjectX500Principal()
                    + " cannot be DER-encoded, so it has no thumbprint", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-1 MessageDigest", e);
        }
    }

    /**
     * The canonical (upper-case, trimmed) form of a thumbprint.
     *
     * @throws IllegalArgumentException if it is not 40 hex characters
     */
    public static String normalize(String thumbprint) {
        if (thumbprint == null) {
            throw new IllegalArgumentException("A thumbprint is required (40 hex characters, SHA-1 of the certificate)");
        }
        String t = thumbprint.trim().toUpperCase(Locale.ROOT);
        if (t.length() != 40 || !t.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
            throw new IllegalArgumentException("'" + thumbprint
                    + "' is not a thumbprint: expected 40 hex characters (SHA-1 of the certificate's DER encoding)");
        }
        return t;
    }

    /** Whether two thumbprints name the same certificate (case-insensitive). */
    public static boolean matches(String a, String b) {
        return a != null && b != null && a.trim().equalsIgnoreCase(b.trim());
    }
}
