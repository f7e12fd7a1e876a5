package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.EncodedMessage;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/** The proxy behind {@code createClient}: turns each contract method call into one remote call. */
final class ClientInvocationHandler implements InvocationHandler {

    /** Sends an encoded request to the endpoint and returns its response. */
    interface Transport {
        Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, String what);
    }

    private final Class<?> contract;
    private final String serviceName;
    private final ServiceEndPoint endpoint;
    private final MessageCodec codec;
    private final Transport transport;
    private final RequestIds ids;
    private final ExecutorService asyncExecutor;

    ClientInvocationHandler(Class<?> contract, ServiceEndPoint endpoint, MessageCodec codec, Transport transport,
                            RequestIds ids, ExecutorService asyncExecutor) {
        this.contract = contract;
        this.serviceName = Contracts.serviceName(contract);
        this.endpoint = endpoint;
        this.codec = codec;
        this.transport = transport;
        this.ids = ids;
        this.asyncExecutor = asyncExecutor;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "toString" -> "Halibut client for " + contract.getName() + " at " + endpoint;
                default -> throw new IllegalStateException("Unexpected Object method " + method);
            };
        }
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        Object[] arguments = args == null ? new Object[0] : args;
        if (!Contracts.isAsync(method)) {
            return callAndBind(method, arguments);
        }
        CompletableFuture<Object> future = new CompletableFuture<>();
        try {
            Future<?> task = asyncExecutor.submit(() -> {
                try {
                    future.complete(callAndBind(method, arguments));
                } catch (Throwable t) {
                    future.completeExceptionally(t);
                }
            });
            // Cancelling the future interrupts the waiting thread, which withdraws a still-queued polling request.
            future.whenComplete((v, e) -> {
                if (future.isCancelled()) {
                    task.cancel(true);
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new HalibutClientException(describe(method) + ": the runtime is closed", e));
        }
        return future;
    }

    private Object callAndBind(Method method, Object[] args) {
        String methodName = Contracts.methodName(method);
        String what = describe(method);
        String id = ids.next();
        EncodedMessage request;
        try {
            request = codec.encodeRequest(id, serviceName, methodName, method.getGenericParameterTypes(), args);
        } catch (IOException | RuntimeException e) {
            throw new HalibutClientException(what + ": the arguments cannot be encoded: " + e, e);
        }
        Reply reply = transport.call(endpoint, id, request, what);
        IncomingResponse response = reply.response();
        boolean handedOver = false;
        try {
            if (response.error() != null) {
                throw RemoteErrors.toException(response.error(), endpoint.baseUri().toString(), serviceName, methodName);
            }
            Type type = Contracts.resultType(method);
            Object result;
            try {
                result = response.bindResult(type, reply.streams());
            } catch (IOException | RuntimeException e) {
                throw new HalibutClientException(what + ": the result cannot be read as " + type.getTypeName() + ": " + e, e);
            }
            if (result == null && method.getReturnType().isPrimitive() && method.getReturnType() != void.class) {
                throw new HalibutClientException(what + ": the service returned no value for a " + method.getReturnType()
                        + " result");
            }
            handedOver = true;
            return result;
        } finally {
            if (!handedOver) {
                reply.discardStreams();
            }
        }
    }

    private String describe(Method method) {
        return "Call to " + serviceName + "." + Contracts.methodName(method) + " at " + endpoint.baseUri();
    }

    static <T> T create(Class<T> contract, ClientInvocationHandler handler) {
        return contract.cast(Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] {contract}, handler));
    }
}
