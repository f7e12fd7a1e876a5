package dev.halibut.runtime.internal;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import dev.halibut.StreamTransferListener;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ReceivedStreamStore;
import dev.halibut.transport.ServingExchange;
import dev.halibut.EncodedMessage;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.Frame;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.RemoteError;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutObserver.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs requests against the registered services and encodes the outcome: a result, or an error of
 * the kind the protocol defines. Everything a service does wrong becomes an error response; nothing
 * here throws for a bad request.
 */
final class ServiceInvoker {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceInvoker.class);
    /** Remote stack traces are cut here so one failure cannot fill a message. */
    private static final int MAX_DETAILS = 32 * 1024;

    private final MessageCodec codec;
    private final ServingExchange serving;
    private final HalibutLimits limits;
    private final ExportTable exports;
    private final Telemetry telemetry;

    /** The built-in service every runtime answers (protocol.md, "Built-in services"). */
    static final String PING_SERVICE = "halibut.ping";
    static final String PING_METHOD = "ping";
    /** The server-error message of a call ended by closing (docs/protocol.md, section 4); service and method. */
    static final String SHUTTING_DOWN = "%s.%s was interrupted: the service host is shutting down";
    private static final java.lang.reflect.Type DESCRIBE_RESULT;

    static {
        try {
            DESCRIBE_RESULT = Description.Service.class.getMethod(Description.METHOD).getGenericReturnType();
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Service names starting with this are reserved for built-in services. */
    static final String RESERVED_PREFIX = "halibut.";

    /** What a request was answered with: the encoded response, and the error kind and message if it is an error. */
    record Answer(EncodedMessage response, ErrorKind error, String message) {
    }

    ServiceInvoker(MessageCodec codec, ReceivedStreamStore streams, StreamTransferListener progress, HalibutLimits limits,
                   Telemetry telemetry, ExportTable exports) {
        this.telemetry = telemetry;
        this.exports = exports;
        this.codec = codec;
        this.serving = new ServingExchange(codec, streams, progress);
        this.limits = limits;
    }

    /**
     * Serves {@code implementation} as a new export with {@code properties}; close the export with
     * {@link ExportTable#remove}.
     */
    ExportTable.Export register(Class<?> contract, Object implementation, Map<String, ?> properties) {
        if (!contract.isInterface()) {
            throw new IllegalArgumentException(contract.getName() + " is not an interface; a service contract must be one");
        }
        if (!contract.isInstance(implementation)) {
            throw new IllegalArgumentException(implementation.getClass().getName() + " does not implement " + contract.getName());
        }
        return exports.add(contract, implementation, properties);
    }

    /**
     * Serves one request that arrived on {@code connection} (listening or polling, it is the same): runs it as
     * soon as its message is decoded, with its streams readable as they arrive (a read that fails throws an
     * IOException naming the stream and the peer, and the exchange then fails: no response), stores what the
     * service left unread, sends the response and the response's streams.
     *
     * <p>The call runs registered in {@code running}: cancelling that interrupts it, and a call that then fails
     * (or that arrives once it is cancelled) is answered with a server error saying the service host is shutting
     * down, rather than with whatever the interruption made the service throw.
     *
     * @throws IOException the exchange failed (protocol error, stream failure, connection lost): close it
     */
    void serve(Connection connection, Frame frame, String endpoint, RunningCalls running) throws IOException {
        ServingExchange.Served exchange = serving.receive(connection, frame);
        IncomingRequest request = exchange.request();
        long start = System.nanoTime();
        if (LOG.isDebugEnabled()) {
            LOG.debug("Running {} from {} ({})", request, endpoint, connection);
        }
        Outcome outcome = Outcome.CONNECTION_LOST;
        String failure = null;
        boolean admitted = running.enter();
        try (exchange) {
            // The service runs as soon as the request message is decoded; it reads the streams as they arrive.
            Map<UUID, DataStream> received = exchange.receiveStreams(limits.responseTimeout());
            Answer answer = admitted ? invoke(request, received, limits.maxMessageSize()) : shuttingDown(request);
            if (admitted && answer.error() == ErrorKind.INVOCATION && running.isCancelled()) {
                answer = shuttingDown(request);
            }
            if (answer.error() != null && answer.error() != ErrorKind.INVOCATION) {
                // Nobody will read the streams (no service saw them, or the host is shutting down): skip them.
                received.values().forEach(DataStream::discard);
            }
            // What the service left unread is stored (a stream it kept stays readable) before the response goes
            // out; a stream that failed while it read it fails the exchange here: no response can follow.
            exchange.finishStreams();
            exchange.respond(answer.response());
            if (answer.error() != null) {
                outcome = ClientInvocationHandler.outcomeOf(answer.error());
                failure = answer.message();
            } else {
                outcome = Outcome.OK;
            }
        } catch (IOException | RuntimeException e) {
            failure = "the exchange failed: " + e;
            if (running.isCancelled()) {
                // Closing closed the connection under the call: expected, and the close says so once.
                LOG.debug("Request {}.{} from {} ended by close: {}", request.service(), request.method(), endpoint,
                        e.toString());
            } else {
                LOG.warn("Request {}.{} from {} ({}) failed: {}", request.service(), request.method(), endpoint,
                        connection.remoteThumbprint(), e.toString());
            }
            throw e;
        } finally {
            running.exit();
            if (outcome != Outcome.OK || telemetry.observesCalls()) { // nobody to tell of a request that went well
                telemetry.requestServed(new HalibutObserver.CallEvent(Instant.now(), endpoint,
                        connection.remoteThumbprint(), request.service(), request.method(),
                        Duration.ofNanos(System.nanoTime() - start), outcome, failure));
            }
        }
    }

    /** The answer to a call that closing the runtime (or its polling subscription) interrupted or refused. */
    private Answer shuttingDown(IncomingRequest request) throws IOException {
        return error(request, ErrorKind.SERVER_ERROR, SHUTTING_DOWN.formatted(request.service(), request.method()),
                null, null);
    }

    /** Wire names of the registered services, sorted (built-in services are not listed). */
    List<String> serviceNames() {
        return exports.serviceNames();
    }

    /** Handles one request; returns the encoded response (BSON, not yet compressed) and its streams. */
    Answer invoke(IncomingRequest request, Map<UUID, DataStream> received, int maxResponseSize) throws IOException {
        if (request.service().equals(PING_SERVICE)) {
            if (request.method().equals(PING_METHOD) && request.argumentCount() == 0) {
                return new Answer(codec.encodeResponse(request.id(), void.class, null), null, null);
            }
            return error(request, ErrorKind.METHOD_NOT_FOUND, "The built-in service '" + PING_SERVICE + "' has only '"
                    + PING_METHOD + "', without arguments", null, null);
        }
        if (request.service().equals(Description.SERVICE)) {
            return describe(request);
        }
        ExportTable.Export service = exports.find(request.service());
        if (service == null) {
            return error(request, ErrorKind.SERVICE_NOT_FOUND, "Service '" + request.service()
                    + "' is not registered on this runtime", null, null);
        }
        ContractMethod method = service.methods.find(request.method(), request.argumentCount(),
                request.parameterTypeNames());
        if (method == null) {
            return error(request, ErrorKind.METHOD_NOT_FOUND, "Service '" + request.service() + "' has no method '"
                    + request.method() + "' taking " + request.argumentCount() + " argument(s)"
                    + (request.parameterTypeNames().isEmpty() ? "" : " of types " + request.parameterTypeNames())
                    + "; the caller's contract may be newer or older than the service's", null, null);
        }
        Object[] args;
        try {
            args = request.bindArguments(method.parameterTypes(), received);
        } catch (IncomingRequest.ArgumentBindingException e) {
            return error(request, ErrorKind.BAD_REQUEST, "Arguments of " + request.service() + "." + request.method()
                    + " do not fit its parameters: " + e.getMessage() + method.parameterLabel(e.argument()), null, null);
        }
        Object result;
        try {
            result = AsyncResults.await(method.method().invoke(service.implementation, args));
        } catch (InvocationTargetException | ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.debug("{}.{} threw {} (request {})", request.service(), request.method(), cause.toString(), request.id());
            // For invocation errors the message field is the exception's own message (protocol.md, section 4).
            return error(request, ErrorKind.INVOCATION, cause.getMessage(), cause.getClass().getName(), stackTrace(cause));
        } catch (IllegalAccessException e) {
            return error(request, ErrorKind.SERVER_ERROR, "Cannot call " + request.service() + "." + request.method()
                    + ": " + e.getMessage() + " (is the implementation class public?)", null, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return shuttingDown(request);
        }
        EncodedMessage response;
        try {
            response = codec.encodeResponse(request.id(), method.resultType(), result);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Result of {}.{} cannot be encoded: {}", request.service(), request.method(), e.toString());
            return error(request, ErrorKind.SERVER_ERROR, "The result of " + request.service() + "." + request.method()
                    + " cannot be encoded: " + e.getMessage(), null, null);
        }
        if (response.bson().length > maxResponseSize) {
            return error(request, ErrorKind.SERVER_ERROR, "The result of " + request.service() + "." + request.method()
                    + " is " + response.bson().length + " bytes, more than the maximum message size of " + maxResponseSize
                    + " bytes; return a DataStream for large data", null, null);
        }
        return new Answer(response, null, null);
    }

    /** Answers the built-in {@code halibut.describe} service. */
    private Answer describe(IncomingRequest request) throws IOException {
        if (request.method().equals(Description.METHOD) && request.argumentCount() == 0) {
            return new Answer(codec.encodeResponse(request.id(), DESCRIBE_RESULT, Description.of(exports)), null, null);
        }
        return error(request, ErrorKind.METHOD_NOT_FOUND, "The built-in service '" + Description.SERVICE + "' has only '"
                + Description.METHOD + "', without arguments", null, null);
    }

    private Answer error(IncomingRequest request, ErrorKind kind, String message, String type, String details)
            throws IOException {
        String text = kind == ErrorKind.INVOCATION ? type + (message == null || message.isEmpty() ? "" : ": " + message)
                : message;
        return new Answer(EncodedMessage.withoutStreams(codec.encodeError(request.id(),
                new RemoteError(kind, message, type, details))), kind, text);
    }

    private static String stackTrace(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        String s = sw.toString();
        return s.length() <= MAX_DETAILS ? s : s.substring(0, MAX_DETAILS) + "\n... (cut at " + MAX_DETAILS + " characters)";
    }
}
