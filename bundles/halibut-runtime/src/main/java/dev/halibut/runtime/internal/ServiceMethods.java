package dev.halibut.runtime.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds the method a request names on a service contract: by wire name and parameter count, then by
 * the caller's declared parameter type names when overloads share name and count.
 */
final class ServiceMethods {

    private final Class<?> contract;
    private final List<Method> methods = new ArrayList<>();

    ServiceMethods(Class<?> contract) {
        this.contract = contract;
        for (Method m : contract.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                // Contracts need not be public interfaces; where the module system allows, call them anyway.
                m.trySetAccessible();
                methods.add(m);
            }
        }
        // Deterministic order; synchronous variants before their Async twins.
        methods.sort(Comparator.comparing(Method::getName).thenComparing(m -> Contracts.isAsync(m)));
    }

    Class<?> contract() {
        return contract;
    }

    /** The method, or {@code null} if none matches. */
    Method find(String wireName, int argumentCount, List<String> parameterTypeNames) {
        List<Method> candidates = new ArrayList<>();
        for (Method m : methods) {
            if (m.getParameterCount() == argumentCount && Contracts.methodName(m).equals(wireName)) {
                candidates.add(m);
            }
        }
        if (candidates.size() <= 1 || parameterTypeNames.isEmpty()) {
            return candidates.isEmpty() ? null : candidates.get(0);
        }
        for (Method m : candidates) {
            if (typeNames(m).equals(parameterTypeNames)) {
                return m;
            }
        }
        return null;
    }

    static List<String> typeNames(Method m) {
        List<String> names = new ArrayList<>();
        for (Class<?> p : m.getParameterTypes()) {
            names.add(p.getTypeName());
        }
        return names;
    }
}
