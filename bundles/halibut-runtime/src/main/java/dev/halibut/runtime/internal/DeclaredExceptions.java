package dev.halibut.runtime.internal;

import dev.halibut.ServiceInvocationException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Re-creates, on the caller's side, an exception that a contract method declares in its {@code throws}
 * clause, so that {@code catch (PaymentDeclinedException e)} works across the wire (docs/protocol.md,
 * section 4, "Errors").
 *
 * <p>The rule, chosen so that the wire can never pick a class: only a type the contract method itself
 * declares in its {@code throws} clause (checked or unchecked; for an async method also those of its
 * synchronous twin in the same contract) is ever instantiated, and only when the remote error's
 * {@code type} is exactly that type's class name. Subtypes of a declared type are not looked for (that
 * would need loading the class the wire names). The type must be a public, non-abstract class with a
 * public {@code (String)} constructor (given the remote message) or, failing that, a public no-argument
 * one. The {@link ServiceInvocationException} that carries the remote type, message and stack trace text
 * becomes the re-created exception's cause (or, if its constructor set a cause already, a suppressed
 * exception). Every other remote failure stays a {@link ServiceInvocationException}.
 */
final class DeclaredExceptions {

    private static final DeclaredExceptions NONE = new DeclaredExceptions(Map.of());

    /** Declared exception classes by class name; only these are ever instantiated. */
    private final Map<String, Class<?>> declared;

    private DeclaredExceptions(Map<String, Class<?>> declared) {
        this.declared = declared;
    }

    static DeclaredExceptions of(Class<?> contract, Method method) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        add(byName, method);
        if (Contracts.isAsync(method)) {
            // chargeAsync may leave its throws clause to its synchronous twin charge.
            for (Method twin : contract.getMethods()) {
                if (!Contracts.isAsync(twin) && twin.getName().equals(Contracts.methodName(method))
                        && Arrays.equals(twin.getParameterTypes(), method.getParameterTypes())) {
                    add(byName, twin);
                }
            }
        }
        return byName.isEmpty() ? NONE : new DeclaredExceptions(Map.copyOf(byName));
    }

    private static void add(Map<String, Class<?>> byName, Method method) {
        for (Class<?> type : method.getExceptionTypes()) {
            byName.putIfAbsent(type.getName(), type);
        }
    }

    /**
     * The exception the caller sees for a remote service failure: the declared exception named exactly by
     * {@code remote}'s type, re-created, or else {@code remote} itself.
     */
    Throwable toThrow(ServiceInvocationException remote) {
        Class<?> type = remote.getRemoteType() == null ? null : declared.get(remote.getRemoteType());
        if (type == null || !Throwable.class.isAssignableFrom(type) || !Modifier.isPublic(type.getModifiers())
                || Modifier.isAbstract(type.getModifiers())) {
            return remote;
        }
        Throwable created = instantiate(type, remote.getRemoteMessage());
        if (created == null) {
            return remote;
        }
        if (created.getCause() == null) {
            try {
                created.initCause(remote);
                return created;
            } catch (IllegalStateException e) {
                // The constructor fixed the cause (to null, explicitly): keep the remote details as suppressed.
            }
        }
        created.addSuppressed(remote);
        return created;
    }

    private static Throwable instantiate(Class<?> type, String message) {
        try {
            Constructor<?> withMessage = publicConstructor(type, String.class);
            if (withMessage != null) {
                return (Throwable) withMessage.newInstance(message);
            }
            Constructor<?> bare = publicConstructor(type);
            return bare == null ? null : (Throwable) bare.newInstance();
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException | RuntimeException
                 | LinkageError e) {
            // The declared type cannot be built here; the caller still gets the remote failure, unconverted.
            return null;
        }
    }

    private static Constructor<?> publicConstructor(Class<?> type, Class<?>... parameters) {
        try {
            return type.getConstructor(parameters);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
