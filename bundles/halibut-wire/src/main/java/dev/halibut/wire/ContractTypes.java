package dev.halibut.wire;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.type.TypeBindings;
import com.fasterxml.jackson.databind.type.TypeFactory;
import com.fasterxml.jackson.datatype.jdk8.Jdk8TypeModifier;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The declared types of a contract method as seen through the contract interface it is called through.
 * For {@code interface ItemRepo extends Repo<Item>}, {@code Repo}'s {@code T first()} returns {@code Item}
 * and {@code Map<String, List<T>> grouped()} returns {@code Map<String, List<Item>>}: type variables of
 * generic super-interfaces are resolved against the contract, at any depth. A type variable the contract
 * does not bind (a method's own {@code <T extends Number>}, or a raw contract) stands for its first bound.
 *
 * <p>Both sides use this: the caller with the contract it passed to {@code createClient}, the service host
 * with the contract it registered (never the implementation class). The resolved types are Jackson
 * {@link JavaType}s, which are {@link Type}s the codec takes as they are.
 */
public final class ContractTypes {

    /**
     * The one type factory of the codec and of this class: {@code Optional} must resolve to the reference
     * type the JDK 8 module's modifier makes of it, or the codec would not know how to write it.
     */
    private static final TypeFactory TYPES = TypeFactory.defaultInstance().withModifier(new Jdk8TypeModifier());

    private ContractTypes() {
    }

    /** The method's parameter types, resolved against {@code contract}. */
    public static Type[] parameterTypes(Class<?> contract, Method method) {
        TypeBindings bindings = bindings(contract, method);
        Type[] declared = method.getGenericParameterTypes();
        Type[] resolved = new Type[declared.length];
        for (int i = 0; i < declared.length; i++) {
            resolved[i] = TYPES.resolveMemberType(declared[i], bindings);
        }
        return resolved;
    }

    /** The method's return type, resolved against {@code contract}. */
    public static Type returnType(Class<?> contract, Method method) {
        return TYPES.resolveMemberType(method.getGenericReturnType(), bindings(contract, method));
    }

    /**
     * The value type of a {@link CompletionStage} type ({@code CompletableFuture<Item>} gives {@code Item});
     * {@code Object} when it is raw.
     */
    public static Type completionValueType(Type stageType) {
        JavaType stage = TYPES.constructType(stageType).findSuperType(CompletionStage.class);
        return stage == null ? Object.class : stage.containedTypeOrUnknown(0);
    }

    /**
     * The {@code paramTypes} names a caller sends (docs/protocol.md, section 4): the erasure of each declared
     * parameter type as {@link Class#getTypeName()} writes it ({@code int}, {@code java.lang.String},
     * {@code byte[]}, {@code java.util.List} for {@code List<T>}, {@code java.lang.Object} for an unbounded
     * {@code T}, {@code java.lang.Number} for {@code T extends Number}). The erasure, not the resolved type,
     * so the name does not depend on which sub-interface the caller holds.
     */
    public static List<String> parameterTypeNames(Method method) {
        List<String> names = new ArrayList<>();
        for (Class<?> p : method.getParameterTypes()) {
            names.add(p.getTypeName());
        }
        return names;
    }

    /** The class a resolved (or plain) type erases to. */
    public static Class<?> rawClass(Type type) {
        return TYPES.constructType(type).getRawClass();
    }

    /** A type's name for messages: {@code java.util.List<com.example.Item>}, {@code int}. */
    public static String typeName(Type type) {
        return type instanceof JavaType j ? j.toCanonical() : type.getTypeName();
    }

    static TypeFactory typeFactory() {
        return TYPES;
    }

    private static TypeBindings bindings(Class<?> contract, Method method) {
        Class<?> declaring = method.getDeclaringClass();
        if (!declaring.isAssignableFrom(contract)) {
            throw new IllegalArgumentException(method + " is not a method of " + contract.getName());
        }
        JavaType view = TYPES.constructType(contract).findSuperType(declaring);
        TypeBindings bindings = view == null ? TypeBindings.emptyBindings() : view.getBindings();
        // A method's own type variable hides the interface's of the same name (<T extends Number> T sum(...)
        // in Repo<T>): drop that binding, so it stands for its own bound rather than the contract's argument.
        for (TypeVariable<Method> own : method.getTypeParameters()) {
            bindings = bindings.withoutVariable(own.getName());
        }
        return bindings;
    }
}
