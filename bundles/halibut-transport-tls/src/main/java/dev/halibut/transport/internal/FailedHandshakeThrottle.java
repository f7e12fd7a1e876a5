package dev.halibut.transport.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Throttles source addresses whose connections keep failing before they are served (TLS handshake
 * refused or broken, identification refused, handshake timeout). Docs: protocol.md, section 1,
 * "Failed handshakes".
 *
 * <p>Each address has a bucket of {@code burst} failures that refills at one per {@code interval}. While
 * the bucket holds at least one failure, connections from the address are admitted at once. Once it is
 * empty the address is <em>throttled</em> until the bucket is full again: its new connections are not
 * refused but paced, each starting its handshake in the next free slot, one slot per {@code interval}; a
 * connection whose slot would be more than {@code maxQueued} slots ahead (by default {@code burst}) is closed
 * at once. Failures of
 * connections that were admitted together may overdraw the bucket, by at most {@code burst}; the debt is
 * paid back before the throttling ends. The listener cannot tell a trusted client from an
 * attacker before the handshake, and on loopback or behind a NAT both share an address, so pacing (rather
 * than refusing) is what lets a trusted client of a throttled address still get through: it waits one
 * interval per attempt queued ahead of it (at most {@code maxQueued × interval}), while the attacker's
 * handshakes from that address cost at most one per interval.
 *
 * <p>IPv4 addresses are keyed as they are, IPv6 addresses by their /64 prefix (one host usually holds a
 * whole /64). At most {@link #MAX_ADDRESSES} addresses are tracked; the least recently seen goes first.
 * Thread-safe.
 */
public final class FailedHandshakeThrottle {

    /** Most addresses tracked at once. */
    public static final int MAX_ADDRESSES = 10_000;

    private final int burst;
    private final int maxQueued;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        // Qualified: in this subclass of LinkedHashMap, JDK 25's javac takes a bare "Entry" for the inherited
        // Map.Entry, not this class's Entry, and rejects the override.
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, FailedHandshakeThrottle.Entry> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    /** What to do with a new connection. */
    public record Admission(boolean refused, long delayNanos, long suppressedWhileThrottled) {
        /**
         * @return whether this admission ended the address's throttling; then
         *         {@link #suppressedWhileThrottled()} failures were not reported one by one meanwhile
         */
        public boolean endedThrottling() {
            return suppressedWhileThrottled >= 0;
        }
    }

    /** How a failure should be reported. */
    public enum Failure {
        /** Within the burst: report it in full. */
        REPORT,
        /** This failure used up the burst: report it, and that the address is throttled from now on. */
        THROTTLING_STARTED,
        /** The address is throttled: count it, report it only in summary, close without ceremony. */
        SUPPRESSED
    }

    public FailedHandshakeThrottle(int burst, Duration interval) {
        this(burst, interval, System::nanoTime);
    }

    /** For tests: {@code nanoClock} stands in for {@link System#nanoTime()}. */
    public FailedHandshakeThrottle(int burst, Duration interval, LongSupplier nanoClock) {
        this(burst, burst, interval, nanoClock);
    }

    /**
     * @param maxQueued how many slots ahead a throttled address's connection may wait (at least {@code burst});
     *                  one further ahead is closed at once. A listener waits up to half its handshake and connect
     *                  timeouts this way, so that a trusted client queued behind an attacker's connections from the
     *                  same address still gets its turn in its first attempt.
     */
    public FailedHandshakeThrottle(int burst, int maxQueued, Duration interval, LongSupplier nanoClock) {
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1, was " + burst);
        }
        if (maxQueued < burst) {
            throw new IllegalArgumentException("maxQueued must be at least burst (" + burst + "), was " + maxQueued);
        }
        this.maxQueued = maxQueued;
        this.burst = burst;
        this.intervalNanos = Math.max(1, interval.toNanos());
        this.nanoClock = nanoClock;
    }

    /** Decides when a connection just accepted from {@code address} may start its handshake. */
    public synchronized Admission admit(InetAddress address) {
        long now = nanoClock.getAsLong();
        Entry e = entries.get(Key.of(address));
        if (e == null) {
            return new Admission(false, 0, -1);
        }
        e.refill(now);
        if (!e.throttled || e.tokens >= burst) {
            long suppressed = -1;
            if (e.throttled) {
                e.throttled = false;
                suppressed = e.suppressed;
                e.suppressed = 0;
            }
            if (e.tokens >= burst) {
                entries.remove(Key.of(address)); // fully recovered: nothing left to remember
            }
            return new Admission(false, 0, suppressed);
        }
        long slot = Math.max(now, e.nextSlot);
        if (slot - now > maxQueued * intervalNanos) {
            e.suppressed++;
            return new Admission(true, 0, -1);
        }
        e.nextSlot = slot + intervalNanos;
        return new Admission(false, slot - now, -1);
    }

    /** Records that a connection from {@code address} failed before it was served. */
    public synchronized Failure failed(InetAddress address) {
        long now = nanoClock.getAsLong();
        Key key = Key.of(address);
        Entry e = entries.get(key);
        if (e == null) {
            e = new Entry(burst, now);
            entries.put(key, e);
        }
        e.refill(now);
        e.tokens = Math.max(-burst, e.tokens - 1);
        if (e.throttled) {
            e.suppressed++;
            return Failure.SUPPRESSED;
        }
        if (e.tokens < 1) {
            e.throttled = true;
            e.nextSlot = now;
            return Failure.THROTTLING_STARTED;
        }
        return Failure.REPORT;
    }

    /** Whether {@code address} is throttled now (for tests and diagnostics). */
    public synchronized boolean isThrottled(InetAddress address) {
        Entry e = entries.get(Key.of(address));
        return e != null && e.throttled;
    }

    /** Addresses tracked now (for tests and diagnostics). */
    public synchronized int trackedAddresses() {
        return entries.size();
    }

    private final class Entry {
        double tokens;
        long updated;
        long nextSlot;
        boolean throttled;
        long suppressed;

        Entry(double tokens, long now) {
            this.tokens = tokens;
            this.updated = now;
            this.nextSlot = now;
        }

        void refill(long now) {
            long elapsed = now - updated;
            if (elapsed > 0) {
                tokens = Math.min(burst, tokens + (double) elapsed / intervalNanos);
                updated = now;
            }
        }
    }

    /** An IPv4 address, or the /64 prefix of an IPv6 address. */
    private record Key(byte[] bytes) {
        static Key of(InetAddress address) {
            byte[] b = address.getAddress();
            return new Key(address instanceof Inet6Address ? Arrays.copyOf(b, 8) : b);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }
}
