package dev.halibut.transport;

import dev.halibut.Thumbprints;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** The thumbprints a listener accepts client certificates from. Thread-safe; changes apply at once. */
public final class ThumbprintTrust {

    private final Set<String> trusted = ConcurrentHashMap.newKeySet();

    /** Trusts a thumbprint; returns {@code false} if it was trusted already. */
    public boolean add(String thumbprint) {
        return trusted.add(Thumbprints.normalize(thumbprint));
    }

    /** Stops trusting a thumbprint; returns {@code false} if it was not trusted. */
    public boolean remove(String thumbprint) {
        return trusted.remove(Thumbprints.normalize(thumbprint));
    }

    public boolean isTrusted(String thumbprint) {
        if (thumbprint == null) {
            return false;
        }
        if (trusted.contains(thumbprint)) {
            // Already canonical (a connection's thumbprint is): asked on every request, so skip normalising.
            return true;
        }
        try {
            return trusted.contains(Thumbprints.normalize(thumbprint));
        } catch (IllegalArgumentException notAThumbprint) {
            return false;
        }
    }

    /** A sorted copy of the trusted thumbprints. */
    public Set<String> snapshot() {
        return new TreeSet<>(trusted);
    }
}
