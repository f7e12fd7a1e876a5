package dev.halibut.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The identification block exchanged right after the TLS handshake (docs/protocol.md, section 2).
 *
 * @param role         who is speaking
 * @param version      the protocol version it speaks
 * @param subscription for {@link Role#SUBSCRIBER}: the {@code poll://} subscription; otherwise {@code null}
 * @param headers      the block's {@code Name: value} lines, in order (names as written; look them up with
 *                     {@link #header}); a receiver ignores those it does not know
 */
public record Identification(Role role, int version, URI subscription, Map<String, String> headers) {

    /** The protocol version this implementation speaks. */
    public static final int PROTOCOL_VERSION = 1;
    /** Longest identification line accepted, CRLF included. */
    public static final int MAX_LINE_LENGTH = 1024;
    /** Most lines accepted in one block, the empty line included. */
    public static final int MAX_LINES = 16;

    /** The roles of protocol version 1. */
    public enum Role {
        CLIENT("HALIBUT-CLIENT"), SUBSCRIBER("HALIBUT-SUBSCRIBER"), SERVER("HALIBUT-SERVER");

        private final String token;

        Role(String token) {
            this.token = token;
        }

        public String token() {
            return token;
        }
    }

    public Identification {
        Objects.requireNonNull(role, "role");
        if ((role == Role.SUBSCRIBER) != (subscription != null)) {
            throw new IllegalArgumentException("A subscription is given exactly when the role is SUBSCRIBER");
        }
        Map<String, String> copy = new LinkedHashMap<>();
        if (headers != null) {
            headers.forEach((name, value) -> {
                if (!name.matches("[!-9;-~]+") || !value.matches("[ -~]*") || value.strip().length() != value.length()) {
                    throw new IllegalArgumentException("Header '" + name + ": " + value + "' is not a printable-ASCII"
                            + " name without ':' and a value without leading or trailing blanks");
                }
                copy.put(name, value);
            });
        }
        headers = Collections.unmodifiableMap(copy);
    }

    /** A block without headers. */
    public Identification(Role role, int version, URI subscription) {
        this(role, version, subscription, Map.of());
    }

    /** This block with one more header line (replacing one of the same name). */
    public Identification withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.keySet().removeIf(n -> n.equalsIgnoreCase(name));
        more.put(name, value);
        return new Identification(role, version, subscription, more);
    }

    /** The value of header {@code name} (compared case-insensitively), or {@code null} if the block has none. */
    public String header(String name) {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    public static Identification client() {
        return new Identification(Role.CLIENT, PROTOCOL_VERSION, null);
    }

    public static Identification server() {
        return new Identification(Role.SERVER, PROTOCOL_VERSION, null);
    }

    public static Identification subscriber(URI subscription) {
        return new Identification(Role.SUBSCRIBER, PROTOCOL_VERSION, subscription);
    }

    /** Writes this block and flushes. */
    public void writeTo(OutputStream out) throws IOException {
        StringBuilder block = new StringBuilder(role.token).append(' ').append(version);
        if (subscription != null) {
            block.append(' ').append(subscription);
        }
        block.append("\r\n");
        headers.forEach((name, value) -> block.append(name).append(": ").append(value).append("\r\n"));
        out.write(block.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Writes an error block ({@code HALIBUT-ERROR code text}); the caller closes the connection after it. */
    public static void writeError(OutputStream out, String code, String text) throws IOException {
        String line = "HALIBUT-ERROR " + code + " " + text.replaceAll("[\\r\\n]", " ");
        byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
        int max = MAX_LINE_LENGTH - 2;
        out.write(bytes, 0, Math.min(bytes.length, max));
        out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * Reads one identification block.
     *
     * @throws IdentificationRejectedException the peer answered {@code HALIBUT-ERROR}
     * @throws UnsupportedVersionException     the peer speaks another protocol version
     * @throws ProtocolException               the block is malformed
     */
    public static Identification readFrom(InputStream in) throws IOException {
        return readFrom(in, MAX_LINE_LENGTH);
    }

    /**
     * Reads one identification block whose lines are at most {@code maxLineLength} bytes, CRLF included; a
     * longer line is refused after reading at most that many bytes of it.
     *
     * @throws IdentificationRejectedException the peer answered {@code HALIBUT-ERROR}
     * @throws UnsupportedVersionException     the peer speaks another protocol version
     * @throws ProtocolException               the block is malformed or a line is too long
     */
    public static Identification readFrom(InputStream in, int maxLineLength) throws IOException {
        if (maxLineLength < 3) {
            throw new IllegalArgumentException("maxLineLength must leave room for CRLF, was " + maxLineLength);
        }
        String first = readLine(in, maxLineLength);
        Map<String, String> headers = new LinkedHashMap<>();
        int lines = 0;
        for (String line = readLine(in, maxLineLength); !line.isEmpty(); line = readLine(in, maxLineLength)) {
            if (++lines >= MAX_LINES - 1) {
                throw new ProtocolException("Identification block has more than " + MAX_LINES + " lines");
            }
            // "Name: value"; a line of another shape says nothing this version understands, and is ignored.
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).matches("[!-9;-~]+")) {
                String name = line.substring(0, colon);
                if (headers.keySet().stream().noneMatch(n -> n.equalsIgnoreCase(name))) {
                    headers.put(name, line.substring(colon + 1).strip());
                }
            }
        }
        Identification id = parse(first);
        return headers.isEmpty() ? id : new Identification(id.role(), id.version(), id.subscription(), headers);
    }

    static Identification parse(String line) throws ProtocolException {
        String[] parts = line.split(" ", 3);
        if (parts[0].equals("HALIBUT-ERROR")) {
            throw new IdentificationRejectedException(parts.length > 1 ? parts[1] : "",
                    parts.length > 2 ? parts[2] : "");
        }
        Role role = null;
        for (Role r : Role.values()) {
            if (r.token.equals(parts[0])) {
                role = r;
            }
        }
        if (role == null) {
            throw new UnknownRoleException("Unknown identification '" + abbreviate(line)
                    + "': expected HALIBUT-CLIENT, HALIBUT-SUBSCRIBER or HALIBUT-SERVER");
        }
        if (parts.length < 2) {
            throw new ProtocolException("Identification '" + abbreviate(line) + "' has no protocol version");
        }
        int version;
        // Digits only: Integer.parseInt would also take "+1" and "01", which the protocol does not allow.
        if (!parts[1].matches("[1-9][0-9]{0,8}")) {
            throw new ProtocolException("Identification '" + abbreviate(line)
                    + "' has no numeric protocol version: expected a positive decimal integer such as 1");
        }
        try {
            version = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolException("Identification '" + abbreviate(line) + "' has no numeric protocol version", e);
        }
        if (version != PROTOCOL_VERSION) {
            throw new UnsupportedVersionException(version);
        }
        if (role == Role.SUBSCRIBER) {
            if (parts.length < 3) {
                throw new ProtocolException("HALIBUT-SUBSCRIBER identification names no subscription");
            }
            URI subscription;
            try {
                subscription = new URI(parts[2].trim());
            } catch (java.net.URISyntaxException e) {
                throw new ProtocolException("Subscription '" + abbreviate(parts[2]) + "' is not a URI", e);
            }
            if (!"poll".equalsIgnoreCase(subscription.getScheme()) || subscription.getAuthority() == null) {
                throw new ProtocolException("Subscription '" + abbreviate(parts[2]) + "' is not a poll://subscription/ URI");
            }
            return subscriber(subscription);
        }
        if (parts.length > 2) {
            throw new ProtocolException("Identification '" + abbreviate(line) + "' has unexpected trailing text");
        }
        return new Identification(role, version, null);
    }

    /** Reads one CRLF-terminated ASCII line of at most {@code maxLineLength} bytes. */
    private static String readLine(InputStream in, int maxLineLength) throws IOException {
        byte[] buf = new byte[maxLineLength];
        int n = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new ProtocolException(n == 0 && buf.length > 0
                        ? "The connection ended during identification"
                        : "The connection ended inside an identification line");
            }
            if (b == '\n') {
                if (n == 0 || buf[n - 1] != '\r') {
                    throw new ProtocolException("Identification line not terminated by CRLF");
                }
                return new String(buf, 0, n - 1, StandardCharsets.US_ASCII);
            }
            if (n == buf.length - 1) {
                throw new ProtocolException("Identification line longer than " + maxLineLength
                        + " bytes (maxIdentificationLineLength)");
            }
            if (n > 0 && buf[n - 1] == '\r') {
                throw new ProtocolException("Identification line contains a CR that does not end the line");
            }
            if ((b < 0x20 && b != '\r') || b > 0x7E) {
                throw new ProtocolException(String.format("Identification line contains the non-ASCII byte 0x%02X", b));
            }
            buf[n++] = (byte) b;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    /** The peer answered {@code HALIBUT-ERROR}: it will not serve this connection. */
    public static final class IdentificationRejectedException extends ProtocolException {
        private static final long serialVersionUID = 1L;
        private final String code;

        public IdentificationRejectedException(String code, String text) {
            super("The peer refused the connection: " + code + (text.isEmpty() ? "" : " (" + text + ")"));
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** The peer speaks a protocol version we do not. */
    public static final class UnsupportedVersionException extends ProtocolException {
        private static final long serialVersionUID = 1L;
        private final int version;

        public UnsupportedVersionException(int version) {
            super("The peer speaks Halibut protocol version " + version + "; this side speaks only version "
                    + PROTOCOL_VERSION + ". Upgrade the older side");
            this.version = version;
        }

        public int version() {
            return version;
        }
    }

    /** The first word of the block is not a known role. */
    public static final class UnknownRoleException extends ProtocolException {
        private static final long serialVersionUID = 1L;

        public UnknownRoleException(String message) {
            super(message);
        }
    }
}
