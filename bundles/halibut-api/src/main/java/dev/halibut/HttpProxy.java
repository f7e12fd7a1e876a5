package dev.halibut;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An HTTP proxy that outgoing connections (calls to {@code https://} endpoints and polling connections) go
 * through with {@code HTTP CONNECT}, and the hosts that bypass it. The proxy only relays bytes: TLS and the
 * thumbprint check run end to end between the two Halibut runtimes, so the proxy sees ciphertext only.
 *
 * <p>A runtime may have one ({@code HalibutRuntime.Builder.proxy}); an endpoint may carry its own
 * ({@link ServiceEndPoint#withProxy}), or {@link #DIRECT} to bypass the runtime's.
 *
 * @param host     the proxy's host name or address; {@code null} only in {@link #DIRECT}
 * @param port     the proxy's port (1-65535)
 * @param username for {@code Proxy-Authorization: Basic}, or {@code null} for none
 * @param password the password that goes with {@code username} (never in {@link #toString()})
 * @param noProxy  targets reached directly: {@code *} (all), a host name (matches itself and its subdomains;
 *                 a leading dot is ignored), an IP address, or a CIDR block such as {@code 10.0.0.0/8}
 *                 (matched against IP-literal targets only: no name is resolved to decide)
 */
public record HttpProxy(String host, int port, String username, String password, List<String> noProxy) {

    /** No proxy: on an endpoint, connect directly even when the runtime has a proxy. */
    public static final HttpProxy DIRECT = new HttpProxy(null, 0, null, null, List.of());

    public HttpProxy {
        noProxy = List.copyOf(noProxy == null ? List.of() : noProxy);
        if (host != null) {
            if (host.isBlank()) {
                throw new IllegalArgumentException("The HTTP proxy host is blank");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("The HTTP proxy port must be between 1 and 65535, was " + port);
            }
            if (username == null && password != null) {
                throw new IllegalArgumentException("An HTTP proxy password is set without a username");
            }
            if (username != null && username.indexOf(':') >= 0) {
                throw new IllegalArgumentException("An HTTP proxy username must not contain ':' (Basic authentication)");
            }
            for (String entry : noProxy) {
                NoProxyEntry.check(entry);
            }
        }
    }

    /** A proxy without authentication and without exceptions. */
    public HttpProxy(String host, int port) {
        this(Objects.requireNonNull(host, "host"), port, null, null, List.of());
    }

    /** The same proxy with Basic authentication. */
    public HttpProxy withCredentials(String username, String password) {
        return new HttpProxy(host, port, Objects.requireNonNull(username, "username"), password, noProxy);
    }

    /** The same proxy with these targets reached directly (see {@link #noProxy()}). */
    public HttpProxy withNoProxy(List<String> noProxy) {
        return new HttpProxy(host, port, username, password, noProxy);
    }

    /** Whether this is {@link #DIRECT}. */
    public boolean isDirect() {
        return host == null;
    }

    /** {@code host:port} of the proxy, for messages. */
    public String address() {
        return isDirect() ? "direct" : (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Whether a connection to {@code target} goes through this proxy (not {@link #DIRECT}, not in the no-proxy list). */
    public boolean appliesTo(URI target) {
        if (isDirect()) {
            return false;
        }
        String h = target.getHost();
        if (h == null) {
            return false;
        }
        for (String entry : noProxy) {
            if (NoProxyEntry.matches(entry, h)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        // Never the password: this ends up in logs.
        return isDirect() ? "HttpProxy[DIRECT]" : "HttpProxy[" + address() + (username == null ? "" : ", user " + username)
                + (noProxy.isEmpty() ? "" : ", no proxy for " + noProxy) + "]";
    }

    /** The no-proxy list's entries: checked once, matched against a target host without name resolution. */
    private static final class NoProxyEntry {
        private NoProxyEntry() {
        }

        static void check(String entry) {
            if (entry == null || entry.isBlank()) {
                throw new IllegalArgumentException("A no-proxy entry is blank");
            }
            String e = entry.trim();
            int slash = e.indexOf('/');
            if (slash >= 0) {
                byte[] net = literal(e.substring(0, slash));
                int bits;
                try {
                    bits = Integer.parseInt(e.substring(slash + 1));
                } catch (NumberFormatException ex) {
                    bits = -1;
                }
                if (net == null || bits < 0 || bits > net.length * 8) {
                    throw new IllegalArgumentException("No-proxy entry '" + entry + "' is not a CIDR block such as"
                            + " 10.0.0.0/8 or fd00::/8");
                }
            }
        }

        static boolean matches(String entry, String host) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            String h = unbracket(host.toLowerCase(Locale.ROOT));
            if (e.equals("*")) {
                return true;
            }
            int slash = e.indexOf('/');
            if (slash >= 0) {
                byte[] net = literal(e.substring(0, slash));
                byte[] addr = literal(h);
                return net != null && addr != null && net.length == addr.length
                        && samePrefix(net, addr, Integer.parseInt(e.substring(slash + 1)));
            }
            e = unbracket(e);
            if (e.startsWith(".")) {
                e = e.substring(1);
            }
            byte[] a = literal(e);
            byte[] b = literal(h);
            if (a != null || b != null) {
                return a != null && b != null && java.util.Arrays.equals(a, b);
            }
            return h.equals(e) || h.endsWith("." + e);
        }

        private static String unbracket(String s) {
            return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        }

        /** The bytes of an IP literal, or {@code null} for anything else (never resolves a name). */
        private static byte[] literal(String s) {
            String t = unbracket(s);
            boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
            boolean v6 = t.indexOf(':') >= 0 && t.matches("[0-9a-fA-F:.]+");
            if (!v4 && !v6) {
                return null;
            }
            if (v4) {
                String[] parts = t.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255) {
                        return null;
                    }
                    b[i] = (byte) v;
                }
                return b;
            }
            try {
                return InetAddress.getByName(t).getAddress(); // a literal: parsed, not looked up
            } catch (UnknownHostException e) {
                return null;
            }
        }

        private static boolean samePrefix(byte[] a, byte[] b, int bits) {
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >>> (i % 8);
                if ((a[i / 8] & mask) != (b[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
