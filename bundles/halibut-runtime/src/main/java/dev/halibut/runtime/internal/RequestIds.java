package dev.halibut.runtime.internal;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Request ids unique per runtime: a random runtime prefix and a counter. */
final class RequestIds {

    /** A random prefix and its dash, joined once: each id is then one concatenation. */
    private final String prefix = Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE) + "-";
    private final AtomicLong counter = new AtomicLong();

    String next() {
        return prefix + counter.incrementAndGet();
    }
}
