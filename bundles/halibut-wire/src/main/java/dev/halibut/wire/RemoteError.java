package dev.halibut.wire;

import java.util.Objects;

/**
 * The error a service host sends instead of a result.
 *
 * @param kind    what went wrong
 * @param message a human-readable message naming service and method
 * @param type    for {@link ErrorKind#INVOCATION}: the thrown exception's class name; else may be null
 * @param details for {@link ErrorKind#INVOCATION}: the remote stack trace text; else may be null
 */
public record RemoteError(ErrorKind kind, String message, String type, String details) {
    public RemoteError {
        Objects.requireNonNull(kind, "kind");
        message = message == null ? "" : message;
    }
}
