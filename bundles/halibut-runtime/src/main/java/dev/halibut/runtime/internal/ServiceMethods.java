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
    private final List<ContractMethod> methods = new ArrayList<>();

    ServiceMethods(Class<?> contract) {
        this.contract = contract;
        List<Method> sorted = new ArrayList<>();
        for (Method m : contract.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                // Contracts need not be public interfaces; where the module system allows, call them anyway.
                m.trySetAccessible();
                sorted.add(m);
            }
        }
        // Deterministic order; synchronous variants before their Async twins.
        sorted.sort(Comparator.comparing(Method::getName).thenComparing(m -> Contracts.isAsync(m)));
        // Types are resolved against the registered contract, never the implementation class.
        for (Method m : sorted) {
            methods.add(ContractMethod.of(contract, m));
        }
    }

    Class<?> contract() {
        return contract;
    }

    /**
     * The method, or {@code null} if none matches. {@code parameterTypeNames} (the request's
     * {@code paramTypes}) only chooses between overloads with the same wire name and count; see
     * {@link ContractMethod#parameterNamed} for the names it accepts.
     */
    ContractMethod find(String wireName, int argumentCount, List<String> parameterTypeNames) {
        List<ContractMethod> candidates = new ArrayList<>();
        for (ContractMethod m : methods) {
            if (m.method().getParameterCount() == argumentCount && m.wireName().equals(wireName)) {
                candidates.add(m);
            }
        }
        if (candidates.size() <= 1 || parameterTypeNames.isEmpty()) {
            return candidates.isEmpty() ? null : candidates.get(0);
        }
        for (ContractMethod m : candidates) {
            if (named(m, parameterTypeNames)) {
                return m;
            }
        }
        return null;
    }

    private static boolean named(ContractMethod m, List<String> parameterTypeNames) {
        for (int i = 0; i < parameterTypeNames.size(); i++) {
            if (!m.parameterNamed(i, parameterTypeNames.get(i))) {
                return false;
            }
        }
        return true;
    }
}
