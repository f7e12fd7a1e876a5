package dev.halibut;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a remote service lives and which certificate it must present.
 *
 * <p>{@code https://host:port/} names a listening service host (we connect to it);
 * {@code poll://subscription/} names a polling service host (it connects to us and collects
 * requests queued for that subscription). {@code wss://host:port/path} names a listener reached over a secure
 * WebSocket (for example through a load balancer that passes only HTTP): a service host may poll it like an
 * {@code https://} listener.
 *
 * @param baseUri          {@code https://host:port/}, {@code wss://host:port/path} or {@code poll://subscription-id/}
 * @param remoteThumbprint SHA-1 thumbprint of the certificate the remote side must present,
 *                         40 hex characters (stored upper-case)
 * @param limits           timeouts and limits for calls to this endpoint, or {@code null} to use
 *                         the calling runtime's own
 * @param proxy            the HTTP proxy connections to this endpoint go through, {@link HttpProxy#DIRECT} for
 *                         none, or {@code null} to use the calling runtime's (if it has one)
 */
public record ServiceEndPoint(URI baseUri, String remoteThumbprint, HalibutLimits limits, HttpProxy proxy) {

    /** Scheme of a listening endpoint. */
    public static final String HTTPS = "https";
    /** Scheme of a listener reached over a secure WebSocket (polling through HTTP-only load balancers). */
    public static final String WSS = "wss";
    /** Scheme of a polling endpoint. */
    public static final String POLL = "poll";

    public ServiceEndPoint {
        Objects.requireNonNull(baseUri, "baseUri");
        String scheme = baseUri.getScheme() == null ? "" : baseUri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals(HTTPS) && !scheme.equals(WSS) && !scheme.equals(POLL)) {
            throw new IllegalArgumentException("Endpoint URI " + baseUri
                    + " must use https:// (listening service), wss:// (listener over a WebSocket) or poll://"
                    + " (polling service)");
        }
        if (!scheme.equals(POLL) && (baseUri.getHost() == null || baseUri.getPort() < 0)) {
            throw new IllegalArgumentException("Endpoint URI " + baseUri
                    + " must name a host and a port, e.g. " + scheme + "://localhost:10933/");
        }
        if (scheme.equals(POLL) && baseUri.getAuthority() == null) {
            throw new IllegalArgumentException("Endpoint URI " + baseUri
                    + " must name a subscription, e.g. poll://subscription-id/");
        }
        remoteThumbprint = Thumbprints.normalize(remoteThumbprint);
    }

    /** An endpoint that uses the calling runtime's timeouts and limits. */
    public ServiceEndPoint(URI baseUri, String remoteThumbprint) {
        this(baseUri, remoteThumbprint, null, null);
    }

    /** An endpoint with its own timeouts and limits ({@code null}: the runtime's) and the runtime's proxy. */
    public ServiceEndPoint(URI baseUri, String remoteThumbprint, HalibutLimits limits) {
        this(baseUri, remoteThumbprint, limits, null);
    }

    /** The same endpoint with its own timeouts and limits. */
    public ServiceEndPoint withLimits(HalibutLimits limits) {
        return new ServiceEndPoint(baseUri, remoteThumbprint, limits, proxy);
    }

    /**
     * The same endpoint reached through its own HTTP proxy ({@link HttpProxy#DIRECT}: directly, whatever the
     * runtime's proxy; {@code null}: the runtime's).
     */
    public ServiceEndPoint withProxy(HttpProxy proxy) {
        return new ServiceEndPoint(baseUri, remoteThumbprint, limits, proxy);
    }

    /**
     * The proxy a connection to this endpoint goes through: its own, or else {@code runtimeProxy} (may be
     * {@code null}); none when that is {@link HttpProxy#DIRECT} or lists this endpoint's host as a no-proxy
     * target. Always none for a {@code poll://} endpoint (nothing connects to it from here).
     */
    public java.util.Optional<HttpProxy> proxyOr(HttpProxy runtimeProxy) {
        HttpProxy p = proxy != null ? proxy : runtimeProxy;
        return p == null || isPolling() || !p.appliesTo(baseUri) ? java.util.Optional.empty() : java.util.Optional.of(p);
    }

    /** {@code true} for {@code poll://} endpoints: the service host connects to us. */
    public boolean isPolling() {
        return POLL.equalsIgnoreCase(baseUri.getScheme());
    }

    /** The limits for calls to this endpoint: its own, or else {@code runtimeDefaults}. */
    public HalibutLimits limitsOr(HalibutLimits runtimeDefaults) {
        return limits != null ? limits : runtimeDefaults;
    }

    @Override
    public String toString() {
        return baseUri + " (" + remoteThumbprint + ")";
    }
}
