package dev.halibut.shell.internal;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the commands write values for people. */
final class Text {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private Text() {
    }

    /** {@code 850 ms}, {@code 12.3 s}, {@code 4 min 5 s}, {@code 2 h 3 min}; sub-millisecond values with decimals. */
    static String duration(Duration d) {
        long nanos = d.toNanos();
        if (nanos < 10_000_000L) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    static String time(Instant t) {
        return TIME.format(t);
    }

    static String address(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Normal form of an endpoint URI, as the runtime names endpoints: lower-case scheme and host, no path. */
    static String endpoint(String uri) {
        try {
            URI u = URI.create(uri.trim());
            if (u.getHost() != null && u.getPort() >= 0) {
                return u.getScheme().toLowerCase(Locale.ROOT) + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":"
                        + u.getPort() + "/";
            }
            if (u.getScheme() != null && u.getAuthority() != null) {
                return u.getScheme().toLowerCase(Locale.ROOT) + "://" + u.getAuthority().toLowerCase(Locale.ROOT) + "/";
            }
        } catch (IllegalArgumentException e) {
            // not a URI: as typed
        }
        return uri.trim().toLowerCase(Locale.ROOT);
    }
}
