package dev.halibut.runtime.internal;

import dev.halibut.wire.ContractTypes;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.List;

/**
 * A contract method with everything a call needs worked out once: its wire name, its parameter and result
 * types resolved against the contract interface it is used through (so {@code T} of a generic
 * super-interface binds as the contract's type argument, see {@link ContractTypes}), the {@code paramTypes}
 * names it is called by, and the exceptions a caller may see re-created.
 *
 * @param contract           the interface the method is used through (the caller's, or the registered one)
 * @param method             the method
 * @param wireName           the method's wire name ({@link Contracts#methodName})
 * @param parameterTypes     parameter types resolved against {@code contract}
 * @param parameterTypeNames the erasures of the declared parameter types, as sent in {@code paramTypes}
 * @param resultType         the result type resolved against {@code contract}; for an async method the
 *                           future's value type
 * @param exceptions         the exceptions the method declares, for re-creating them on the caller's side
 */
record ContractMethod(Class<?> contract, Method method, String wireName, Type[] parameterTypes,
                      List<String> parameterTypeNames, Type resultType, DeclaredExceptions exceptions) {

    static ContractMethod of(Class<?> contract, Method method) {
        return new ContractMethod(contract, method, Contracts.methodName(method),
                ContractTypes.parameterTypes(contract, method), ContractTypes.parameterTypeNames(method),
                Contracts.resultType(contract, method), DeclaredExceptions.of(contract, method));
    }

    /**
     * Whether {@code name}, sent in {@code paramTypes} for parameter {@code index}, names that parameter:
     * the erasure of its declared type (what this implementation sends), its generic declaration as older
     * peers sent it ({@code java.util.List<java.lang.Integer>}, {@code T}), or the erasure of its type
     * resolved against the contract ({@code Item} for {@code T} in {@code ItemRepo extends Repo<Item>}).
     */
    /**
     * For messages: {@code " (parameter 'amount')"} when the contract was compiled with parameter names
     * ({@code -parameters}), else empty; empty for an index that is no parameter's.
     */
    String parameterLabel(int index) {
        if (index < 0 || index >= method.getParameterCount() || !method.getParameters()[index].isNamePresent()) {
            return "";
        }
        return " (parameter '" + method.getParameters()[index].getName() + "')";
    }

    boolean parameterNamed(int index, String name) {
        return name.equals(parameterTypeNames.get(index))
                || name.equals(method.getGenericParameterTypes()[index].getTypeName())
                || name.equals(ContractTypes.rawClass(parameterTypes[index]).getTypeName());
    }
}
