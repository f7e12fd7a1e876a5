package dev.halibut.registry.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceInvocationException;
import dev.halibut.ServiceNotFoundException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.osgi.framework.ServiceException;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;

/**
 * The service object of an import: one proxy implementing all its contracts, calling the runtime's
 * clients, with what Remote Services asks of an imported service on top (chapter 100.4 and the
 * {@code osgi.async} intent):
 * <ul>
 * <li>a call that fails for a Halibut reason (peer unreachable, request not collected, service or method not
 * there, the exchange broken) throws {@link ServiceException} of type {@link ServiceException#REMOTE} with
 * the {@link HalibutClientException} as its cause; what the remote service threw
 * ({@link ServiceInvocationException}, or any other exception) passes unchanged;</li>
 * <li>methods returning {@link CompletableFuture}, {@link CompletionStage} or {@link Promise} return at once
 * and complete on the runtime's call thread with the value or the (translated) failure.</li>
 * </ul>
 */
public final class ImportedProxy implements InvocationHandler {

    private final Map<Class<?>, Object> clients;
    private final String description;
    private final Runnable serviceGone;

    /**
     * @param clients     for each contract, the runtime's client proxy for it
     * @param serviceGone run when a call finds the remote service gone (service-not-found), so the import
     *                    checks its endpoint at once instead of at the next refresh
     */
    private ImportedProxy(Map<Class<?>, Object> clients, String description, Runnable serviceGone) {
        this.clients = clients;
        this.description = description;
        this.serviceGone = serviceGone;
    }

    public static Object create(List<Class<?>> contracts, Function<Class<?>, Object> client, String description,
                         Runnable serviceGone) {
        Map<Class<?>, Object> clients = new LinkedHashMap<>();
        for (Class<?> c : contracts) {
            clients.put(c, client.apply(c));
        }
        return Proxy.newProxyInstance(new ContractsClassLoader(contracts), contracts.toArray(new Class<?>[0]),
                new ImportedProxy(clients, description, serviceGone));
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> self == args[0];
                case "hashCode" -> System.identityHashCode(self);
                default -> description;
            };
        }
        Object client = clientFor(method);
        Object result;
        try {
            // The runtime's handler, not its proxy: it returns a CompletableFuture for a Promise method, which
            // the proxy's return type check would refuse.
            result = Proxy.getInvocationHandler(client).invoke(client, method, args);
        } catch (Throwable t) {
            throw translate(t);
        }
        Class<?> returns = method.getReturnType();
        if (returns == Promise.class) {
            return promise((CompletableFuture<?>) result);
        }
        if (returns == CompletableFuture.class || returns == CompletionStage.class) {
            return future((CompletableFuture<?>) result);
        }
        return result;
    }

    private Object clientFor(Method method) {
        Object client = clients.get(method.getDeclaringClass());
        if (client != null) {
            return client;
        }
        // A method inherited from a super-interface: the first client whose contract has it.
        return clients.entrySet().stream().filter(e -> method.getDeclaringClass().isAssignableFrom(e.getKey()))
                .map(Map.Entry::getValue).findFirst().orElseThrow();
    }

    private CompletableFuture<Object> future(CompletableFuture<?> call) {
        CompletableFuture<Object> out = new CompletableFuture<>();
        call.whenComplete((value, failure) -> {
            if (failure == null) {
                out.complete(value);
            } else {
                out.completeExceptionally(translate(unwrap(failure)));
            }
        });
        // Cancelling what the caller holds cancels the call (a queued polling request is withdrawn).
        out.whenComplete((v, e) -> {
            if (out.isCancelled()) {
                call.cancel(true);
            }
        });
        return out;
    }

    private Promise<Object> promise(CompletableFuture<?> call) {
        Deferred<Object> deferred = new Deferred<>();
        call.whenComplete((value, failure) -> {
            if (failure == null) {
                deferred.resolve(value);
            } else {
                deferred.fail(translate(unwrap(failure)));
            }
        });
        return deferred.getPromise();
    }

    private Throwable translate(Throwable t) {
        if (t instanceof ServiceInvocationException || !(t instanceof HalibutClientException)) {
            return t;
        }
        if (t instanceof ServiceNotFoundException) {
            serviceGone.run();
        }
        return new ServiceException(description + ": " + t.getMessage(), ServiceException.REMOTE, t);
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Sees the contracts of several bundles at once, which a proxy implementing all of them needs. */
    private static final class ContractsClassLoader extends ClassLoader {
        private final List<ClassLoader> loaders = new ArrayList<>();

        ContractsClassLoader(List<Class<?>> contracts) {
            super(null);
            for (Class<?> c : contracts) {
                if (!loaders.contains(c.getClassLoader())) {
                    loaders.add(c.getClassLoader());
                }
            }
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            for (ClassLoader l : loaders) {
                try {
                    return l.loadClass(name);
                } catch (ClassNotFoundException e) {
                    // try the next one
                }
            }
            throw new ClassNotFoundException(name);
        }
    }
}
