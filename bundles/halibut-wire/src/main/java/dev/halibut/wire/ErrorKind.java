package dev.halibut.wire;

/** The {@code kind} of an error response (docs/protocol.md, section 4). */
public enum ErrorKind {
    SERVICE_NOT_FOUND("service-not-found"),
    METHOD_NOT_FOUND("method-not-found"),
    INVOCATION("invocation"),
    BAD_REQUEST("bad-request"),
    SERVER_ERROR("server-error");

    private final String wireName;

    ErrorKind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The kind with this wire name; unknown names (from a newer peer) map to {@link #SERVER_ERROR}. */
    public static ErrorKind ofWireName(String name) {
        for (ErrorKind k : values()) {
            if (k.wireName.equals(name)) {
                return k;
            }
        }
        return SERVER_ERROR;
    }
}
