package dev.halibut.runtime.internal;

import jakarta.inject.Named;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
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
        if (isAsync(m)) {
            Type g = m.getGenericReturnType();
            return g instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
        }
        return m.getGenericReturnType();
    }
}
