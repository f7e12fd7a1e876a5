package dev.halibut.runtime.internal;

import dev.halibut.wire.ContractTypes;
import jakarta.inject.Named;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The contract rules of the design: wire names of services and methods, and async method shapes. */
final class Contracts {

    private static final String ASYNC_SUFFIX = "Async";

    private Contracts() {
    }

    /** The service's wire name: {@code @Named} value, else the interface's simple name. */
    static String serviceName(Class<?> contract) {
        Named named = contract.getAnnotation(Named.class);
        return named != null && !named.value().isBlank() ? named.value() : contract.getSimpleName();
    }

    /**
     * Whether a method returns {@link CompletableFuture}, {@link CompletionStage} or OSGi's
     * {@code org.osgi.util.promise.Promise} (which the OSGi registry's imports adapt to).
     */
    static boolean isAsync(Method m) {
        Class<?> r = m.getReturnType();
        return r == CompletableFuture.class || r == CompletionStage.class || AsyncResults.isPromise(r);
    }

    /** The method's wire name: an async method calls the service method without its {@code Async} suffix. */
    static String methodName(Method m) {
        String name = m.getName();
        if (isAsync(m) && name.endsWith(ASYNC_SUFFIX) && name.length() > ASYNC_SUFFIX.length()) {
            return name.substring(0, name.length() - ASYNC_SUFFIX.length());
        }
        return name;
    }

    /** The type a caller binds the result to: for async methods the future's type argument. */
    static Type resultType(Method m) {
        return resultType(m.getDeclaringClass(), m);
    }

    /**
     * The type the result is encoded as and bound to, resolved against the contract the method is used
     * through ({@link ContractTypes}): for async methods the future's type argument.
     */
    static Type resultType(Class<?> contract, Method m) {
        Type returned = ContractTypes.returnType(contract, m);
        return isAsync(m) ? ContractTypes.completionValueType(returned) : returned;
    }
}
