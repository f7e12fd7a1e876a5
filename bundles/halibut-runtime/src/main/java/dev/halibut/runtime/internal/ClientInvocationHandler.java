package dev.halibut.runtime.internal;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceInvocationException;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutObserver.Outcome;
import dev.halibut.wire.ContractTypes;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/** The proxy behind {@code createClient}: turns each contract method call into one remote call. */
final class ClientInvocationHandler implements InvocationHandler {

    /** Sends an encoded request to the endpoint and returns its response. */
    interface Transport {
        Reply call(ServiceEndPoint endpoint, String requestId, EncodedMessage request, CallTrace trace);
    }

    private final Class<?> contract;
    private final String serviceName;
    private final ServiceEndPoint endpoint;
    private final MessageCodec codec;
    private final Transport transport;
    private final RequestIds ids;
    private final ExecutorService asyncExecutor;
    private final Telemetry telemetry;
    private final String endpointKey;
    /** Each method's resolved types, declared exceptions and name for messages, worked out on its first call. */
    private final Map<Method, Prepared> methods = new ConcurrentHashMap<>();

    /** A contract method as this proxy calls it; {@code what} starts every message about one of its calls. */
    private record Prepared(ContractMethod call, String what) {
    }

    /** @param serviceName the wire name (or export address) the calls go to */
    ClientInvocationHandler(Class<?> contract, String serviceName, ServiceEndPoint endpoint, MessageCodec codec,
                            Transport transport, RequestIds ids, ExecutorService asyncExecutor, Telemetry telemetry) {
        this.telemetry = telemetry;
        this.endpointKey = EndpointKeys.of(endpoint.baseUri());
        this.contract = contract;
        this.serviceName = serviceName;
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
        Prepared call = methods.get(method);
        if (call == null) {
            call = methods.computeIfAbsent(method, m -> new Prepared(ContractMethod.of(contract, m), describe(m)));
        }
        if (!Contracts.isAsync(method)) {
            return callAndBind(call, arguments);
        }
        CompletableFuture<Object> future = new CompletableFuture<>();
        Prepared asyncCall = call;
        try {
            Future<?> task = asyncExecutor.submit(() -> {
                try {
                    future.complete(callAndBind(asyncCall, arguments));
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

    /**
     * Makes the call. Throws what the caller sees: a {@link HalibutClientException}, or an exception the
     * contract method declares, re-created from the service's ({@link DeclaredExceptions}).
     */
    private Object callAndBind(Prepared prepared, Object[] args) throws Throwable {
        ContractMethod call = prepared.call();
        String methodName = call.wireName();
        CallTrace trace = new CallTrace(serviceName, methodName, prepared.what());
        long start = System.nanoTime();
        Outcome outcome = null;
        String failure = null;
        try {
            Object result = callAndBind(call, args, trace);
            outcome = Outcome.OK;
            return result;
        } catch (Throwable e) {
            outcome = trace.failure() != null ? trace.failure() : Outcome.CONNECTION_LOST;
            failure = String.valueOf(e.getMessage());
            throw e;
        } finally {
            if (outcome != Outcome.OK || telemetry.observesCalls()) { // nobody to tell of a call that went well
                telemetry.callCompleted(new HalibutObserver.CallEvent(Instant.now(), endpointKey,
                        endpoint.remoteThumbprint(), serviceName, methodName, Duration.ofNanos(System.nanoTime() - start),
                        outcome, failure));
            }
        }
    }

    private Object callAndBind(ContractMethod call, Object[] args, CallTrace trace) throws Throwable {
        String what = trace.what;
        String id = ids.next();
        EncodedMessage request;
        try {
            request = codec.encodeRequest(id, serviceName, trace.method, call.parameterTypeNames(),
                    call.parameterTypes(), args);
        } catch (IOException | RuntimeException e) {
            trace.fail(Outcome.CLIENT_ERROR);
            throw new HalibutClientException(what + ": the arguments cannot be encoded: " + e, e);
        }
        Reply reply = transport.call(endpoint, id, request, trace);
        IncomingResponse response = reply.response();
        boolean handedOver = false;
        try {
            if (response.error() != null) {
                trace.fail(outcomeOf(response.error().kind()));
                HalibutClientException failure = RemoteErrors.toException(response.error(),
                        endpoint.baseUri().toString(), serviceName, trace.method);
                throw failure instanceof ServiceInvocationException remote ? call.exceptions().toThrow(remote) : failure;
            }
            Type type = call.resultType();
            Object result;
            try {
                result = response.bindResult(type, reply.streams());
            } catch (IOException | RuntimeException e) {
                trace.fail(Outcome.CLIENT_ERROR);
                throw new HalibutClientException(what + ": the result cannot be read as " + ContractTypes.typeName(type)
                        + ": " + e.getMessage(), e);
            }
            // (BSON null for a primitive result was refused by the binding: "null cannot be bound to the primitive int".)
            handedOver = true;
            return result;
        } finally {
            if (!handedOver) {
                reply.discardStreams();
            }
        }
    }

    static Outcome outcomeOf(ErrorKind kind) {
        return switch (kind) {
            case SERVICE_NOT_FOUND -> Outcome.SERVICE_NOT_FOUND;
            case METHOD_NOT_FOUND -> Outcome.METHOD_NOT_FOUND;
            case INVOCATION -> Outcome.INVOCATION_ERROR;
            case BAD_REQUEST -> Outcome.BAD_REQUEST;
            case SERVER_ERROR -> Outcome.SERVER_ERROR;
        };
    }

    private String describe(Method method) {
        return "Call to " + serviceName + "." + Contracts.methodName(method) + " at " + endpoint.baseUri();
    }

    static <T> T create(Class<T> contract, ClientInvocationHandler handler) {
        return contract.cast(Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] {contract}, handler));
    }
}
