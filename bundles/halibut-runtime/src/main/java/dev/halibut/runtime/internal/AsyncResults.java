package dev.halibut.runtime.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Waits for the value of a service method that answers asynchronously, so that the response carries the
 * value, not the future: {@link CompletionStage} (and so {@code CompletableFuture}), and OSGi's
 * {@code org.osgi.util.promise.Promise}, which is found by name so that this bundle needs no OSGi import.
 */
final class AsyncResults {

    static final String PROMISE = "org.osgi.util.promise.Promise";

    private AsyncResults() {
    }

    /**
     * @return {@code result} itself, or the value it completes with
     * @throws ExecutionException        a {@link CompletionStage} failed: the cause is the failure
     * @throws InvocationTargetException a {@code Promise} failed: the cause is the failure
     */
    static Object await(Object result) throws ExecutionException, InvocationTargetException, InterruptedException {
        if (result instanceof CompletionStage<?> stage) {
            return stage.toCompletableFuture().get();
        }
        Class<?> promise = result == null ? null : promiseInterface(result.getClass());
        if (promise == null) {
            return result;
        }
        Method getValue;
        try {
            getValue = promise.getMethod("getValue");
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(PROMISE + " without getValue()", e);
        }
        try {
            return getValue.invoke(result);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot read the value of " + result, e);
        } catch (InvocationTargetException e) {
            // getValue() itself throws InvocationTargetException (the promise failed) or InterruptedException.
            if (e.getCause() instanceof InvocationTargetException failed) {
                throw failed;
            }
            if (e.getCause() instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw e;
        }
    }

    /** Whether the method answers asynchronously by returning an OSGi {@code Promise}. */
    static boolean isPromise(Class<?> type) {
        return type.getName().equals(PROMISE);
    }

    /**
     * The Promise interface a result class implements, looked up once per class: every call's result is asked
     * (walking a class's interfaces copies arrays each time, a measurable part of a small call's CPU).
     */
    private static final ClassValue<java.util.Optional<Class<?>>> PROMISE_INTERFACE = new ClassValue<>() {
        @Override
        protected java.util.Optional<Class<?>> computeValue(Class<?> type) {
            return java.util.Optional.ofNullable(findPromiseInterface(type));
        }
    };

    private static Class<?> promiseInterface(Class<?> type) {
        return PROMISE_INTERFACE.get(type).orElse(null);
    }

    private static Class<?> findPromiseInterface(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (isPromise(i)) {
                    return i;
                }
                Class<?> inherited = findPromiseInterface(i);
                if (inherited != null) {
                    return inherited;
                }
            }
        }
        return null;
    }
}
