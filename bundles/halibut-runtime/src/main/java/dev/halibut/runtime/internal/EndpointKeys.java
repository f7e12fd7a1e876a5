package dev.halibut.runtime.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The normal form endpoints are named by in events, the connection log and the status: scheme and host
 * (or subscription) in lower case, the path dropped. {@code https://Host:8443/x} is
 * {@code https://host:8443/}, {@code poll://Agent-7/} is {@code poll://agent-7/}.
 */
final class EndpointKeys {

    private EndpointKeys() {
    }

    static String of(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() != null && uri.getPort() >= 0) {
            String host = uri.getHost().toLowerCase(Locale.ROOT);
            return scheme + "://" + host + ":" + uri.getPort() + "/";
        }
        if (uri.getAuthority() != null) {
            return scheme + "://" + uri.getAuthority().toLowerCase(Locale.ROOT) + "/";
        }
        return uri.toString().toLowerCase(Locale.ROOT);
    }

    /** Normal form of what an operator typed; text that is not a URI is only lower-cased. */
    static String parse(String endpoint) {
        String s = endpoint.trim();
        try {
            URI uri = new URI(s);
            if (uri.getScheme() != null && uri.getAuthority() != null) {
                return of(uri);
            }
        } catch (URISyntaxException e) {
            // not a URI: compared as typed
        }
        return s.toLowerCase(Locale.ROOT);
    }

    /** {@code listen://address:port/} for a bound listener. */
    static String listener(InetSocketAddress bound) {
        InetAddress a = bound.getAddress();
        String host = a == null ? bound.getHostString() : a.getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "listen://" + host.toLowerCase(Locale.ROOT) + ":" + bound.getPort() + "/";
    }
}
