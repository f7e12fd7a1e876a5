package dev.halibut.runtime;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * Told what a runtime does as it happens, so a host can feed its own metrics, audit or alerting system.
 * Every method has an empty default: implement the ones you need, and register the observer with
 * {@link HalibutRuntime.Builder#observer} or {@link HalibutRuntime#addObserver}.
 *
 * <p>Methods are called synchronously on the runtime's own threads (the caller's thread, a connection
 * thread, a poller thread), possibly from several at once: keep them quick, thread-safe and
 * non-blocking. An observer that throws cannot break the runtime: its first failure is logged with the
 * stack trace (later ones only at debug level), the event still reaches the other observers, and the
 * observer keeps receiving events.
 *
 * <p><b>Endpoints.</b> Events name the endpoint they belong to in a normal form, the same one
 * {@link HalibutRuntime#connectionLog(String)} and {@link HalibutRuntime#status()} use:
 * {@code https://host:port/} for a listening service host this runtime calls, {@code poll://subscription/}
 * for a polling subscription (on both sides), and {@code listen://address:port/} for callers that
 * connected to one of this runtime's listeners.
 */
public interface HalibutObserver {

    /** A connection was established: this runtime connected out, or a listener accepted and identified one. */
    default void connectionOpened(ConnectionEvent event) {
    }

    /** A connection opened earlier closed; {@link ConnectionEvent#openFor()} says how long it was open. */
    default void connectionClosed(ConnectionEvent event) {
    }

    /** Connecting out failed for good (after the connect attempts the limits allow). */
    default void connectFailed(ConnectFailure event) {
    }

    /** A listener refused a connection before serving it: TLS handshake, identification, timeout or connection cap. */
    default void handshakeRejected(Rejection event) {
    }

    /** A call this runtime made (through a client proxy) completed, successfully or not. */
    default void callCompleted(CallEvent event) {
    }

    /** This runtime served a request (from a caller connected to its listener, or collected by polling). */
    default void requestServed(CallEvent event) {
    }

    /** A call to a {@code poll://} endpoint was queued for its subscription. */
    default void requestQueued(QueueEvent event) {
    }

    /** A queued request was collected by a polling service host and is being sent to it. */
    default void requestCollected(QueueEvent event) {
    }

    /** A queued request was not collected within the collection timeout; it was removed and never runs. */
    default void requestExpired(QueueEvent event) {
    }

    /** Which side opened a connection. */
    enum Direction {
        /** This runtime connected to a listener. */
        OUTBOUND,
        /** A peer connected to this runtime's listener. */
        INBOUND
    }

    /** What the connecting side of a connection identified as (protocol.md, section 2). */
    enum Role {
        /** {@code HALIBUT-CLIENT}: a caller, which sends requests on the connection. */
        CALLER,
        /** {@code HALIBUT-SUBSCRIBER}: a polling service host, which collects requests on the connection. */
        SUBSCRIBER
    }

    /** How a call ended. On the serving side only {@code OK} and the error kinds of the protocol occur, plus {@code CONNECTION_LOST}. */
    enum Outcome {
        /** The call returned a result. */
        OK,
        /** The service host has no service of that name ({@code service-not-found}). */
        SERVICE_NOT_FOUND,
        /** The service has no matching method ({@code method-not-found}). */
        METHOD_NOT_FOUND,
        /** The service method threw ({@code invocation}). */
        INVOCATION_ERROR,
        /** The arguments did not fit the method's parameters ({@code bad-request}). */
        BAD_REQUEST,
        /** The service host failed otherwise ({@code server-error}). */
        SERVER_ERROR,
        /** No connection could be established (unreachable, refused, untrusted, wrong thumbprint). */
        CONNECT_FAILED,
        /** The request for a polling endpoint was not collected within the collection timeout. */
        NOT_COLLECTED,
        /** The request was sent but no response came within the response timeout. */
        TIMEOUT,
        /** The connection failed or the peer broke the protocol after the request was sent. */
        CONNECTION_LOST,
        /** The caller cancelled or was interrupted, or the runtime closed, while the call waited. */
        CANCELLED,
        /** The call failed on this side: arguments or result could not be encoded or bound, or the message was too large. */
        CLIENT_ERROR
    }

    /**
     * A connection opened or closed.
     *
     * @param time             when it happened
     * @param endpoint         the endpoint in normal form (see {@link HalibutObserver})
     * @param direction        who connected
     * @param role             what the connecting side identified as
     * @param remoteAddress    the peer's address as this side sees it (for outbound connections, the endpoint's authority)
     * @param remoteThumbprint the thumbprint of the certificate the peer presented
     * @param openFor          for {@code connectionClosed}, how long it was open; {@code null} for {@code connectionOpened}
     * @param route            how it travels, as {@link RuntimeStatus} reports it: outbound {@value RuntimeStatus#DIRECT},
     *                         {@code proxy host:port}, {@value RuntimeStatus#WSS} or {@code wss via proxy host:port}
     *                         ({@link HalibutRuntime#route}); inbound {@value RuntimeStatus#TLS} or
     *                         {@value RuntimeStatus#WSS} (the route the peer took to the listener's port)
     */
    record ConnectionEvent(Instant time, String endpoint, Direction direction, Role role, String remoteAddress,
                           String remoteThumbprint, Duration openFor, String route) {

        /** An event without its route (the constructor before {@code route} was added; it is {@code null} then). */
        public ConnectionEvent(Instant time, String endpoint, Direction direction, Role role, String remoteAddress,
                               String remoteThumbprint, Duration openFor) {
            this(time, endpoint, direction, role, remoteAddress, remoteThumbprint, openFor, null);
        }
    }

    /**
     * Connecting out failed.
     *
     * @param endpoint the endpoint in normal form: the https endpoint called, or the subscription polled
     * @param listener the URI of the listener this runtime tried to reach
     * @param role     what this runtime would have identified as
     * @param reason   the failure, as the exception thrown says it
     */
    record ConnectFailure(Instant time, String endpoint, URI listener, Role role, String reason) {
    }

    /**
     * A listener refused a connection.
     *
     * @param listener      the listener in normal form ({@code listen://address:port/})
     * @param remoteAddress the peer's address
     * @param reason        why, e.g. the untrusted certificate's thumbprint and subject
     */
    record Rejection(Instant time, String listener, String remoteAddress, String reason) {
    }

    /**
     * A completed call or served request.
     *
     * @param endpoint         the endpoint in normal form: where the call went (calls), or where the request
     *                         came from (served requests: {@code listen://...} or {@code poll://...})
     * @param remoteThumbprint the peer's certificate thumbprint
     * @param service          the service's wire name
     * @param method           the method name
     * @param duration         from the start of the call (calls) or the arrival of the request (served) until it ended
     * @param outcome          how it ended
     * @param failure          what went wrong, for people; {@code null} when {@code outcome} is {@code OK}
     */
    record CallEvent(Instant time, String endpoint, String remoteThumbprint, String service, String method,
                     Duration duration, Outcome outcome, String failure) {
    }

    /**
     * A request for a polling endpoint changed state in the queue.
     *
     * @param subscription       the subscription in normal form ({@code poll://subscription/})
     * @param expectedThumbprint the thumbprint the collecting service host must present
     * @param requestId          the request's id
     * @param service            the service's wire name
     * @param method             the method name
     * @param waited             how long it had been queued ({@code Duration.ZERO} for {@code requestQueued})
     */
    record QueueEvent(Instant time, String subscription, String expectedThumbprint, String requestId, String service,
                      String method, Duration waited) {
    }
}
