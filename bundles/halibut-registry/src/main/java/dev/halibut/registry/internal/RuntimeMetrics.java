package dev.halibut.registry.internal;

import dev.halibut.registry.HalibutCallsMXBean;
import dev.halibut.runtime.HalibutObserver;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what a runtime reports through its observer SPI: the numbers behind the MBeans. Lock-free, so
 * counting costs the runtime's threads next to nothing.
 */
final class RuntimeMetrics implements HalibutObserver {

    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder connectionsClosed = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder handshakesRejected = new LongAdder();
    final LongAdder requestsQueued = new LongAdder();
    final LongAdder requestsCollected = new LongAdder();
    final LongAdder requestsExpired = new LongAdder();
    final Calls outgoing = new Calls();
    final Calls incoming = new Calls();

    @Override
    public void connectionOpened(ConnectionEvent event) {
        connectionsOpened.increment();
    }

    @Override
    public void connectionClosed(ConnectionEvent event) {
        connectionsClosed.increment();
    }

    @Override
    public void connectFailed(ConnectFailure event) {
        connectFailures.increment();
    }

    @Override
    public void handshakeRejected(Rejection event) {
        handshakesRejected.increment();
    }

    @Override
    public void callCompleted(CallEvent event) {
        outgoing.add(event);
    }

    @Override
    public void requestServed(CallEvent event) {
        incoming.add(event);
    }

    @Override
    public void requestQueued(QueueEvent event) {
        requestsQueued.increment();
    }

    @Override
    public void requestCollected(QueueEvent event) {
        requestsCollected.increment();
    }

    @Override
    public void requestExpired(QueueEvent event) {
        requestsExpired.increment();
    }

    /** Counts of one direction of calls. */
    static final class Calls implements HalibutCallsMXBean {
        private static final long[] BOUNDS_MILLIS = {1, 10, 100, 1000, 10_000};
        private static final String[] BUCKETS = {"<=1ms", "<=10ms", "<=100ms", "<=1s", "<=10s", ">10s"};

        private final LongAdder calls = new LongAdder();
        private final LongAdder totalNanos = new LongAdder();
        private final AtomicLong maxNanos = new AtomicLong();
        private final Map<Outcome, LongAdder> failures = new EnumMap<>(Outcome.class);
        private final LongAdder[] buckets = new LongAdder[BUCKETS.length];

        Calls() {
            for (Outcome o : Outcome.values()) {
                failures.put(o, new LongAdder());
            }
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void add(CallEvent event) {
            long nanos = Math.max(0, event.duration().toNanos());
            calls.increment();
            totalNanos.add(nanos);
            maxNanos.accumulateAndGet(nanos, Math::max);
            if (event.outcome() != Outcome.OK) {
                failures.get(event.outcome()).increment();
            }
            int i = 0;
            while (i < BOUNDS_MILLIS.length && nanos > TimeUnit.MILLISECONDS.toNanos(BOUNDS_MILLIS[i])) {
                i++;
            }
            buckets[i].increment();
        }

        @Override
        public long getCalls() {
            return calls.sum();
        }

        @Override
        public long getFailures() {
            return failures.values().stream().mapToLong(LongAdder::sum).sum();
        }

        @Override
        public Map<String, Long> getFailuresByKind() {
            Map<String, Long> out = new LinkedHashMap<>();
            failures.forEach((o, n) -> {
                long v = n.sum();
                if (v > 0) {
                    out.put(o.name(), v);
                }
            });
            return out;
        }

        @Override
        public double getLatencyMeanMillis() {
            long n = calls.sum();
            return n == 0 ? 0 : totalNanos.sum() / 1e6 / n;
        }

        @Override
        public long getLatencyMaxMillis() {
            return TimeUnit.NANOSECONDS.toMillis(maxNanos.get());
        }

        @Override
        public Map<String, Long> getLatencyHistogram() {
            Map<String, Long> out = new LinkedHashMap<>();
            for (int i = 0; i < BUCKETS.length; i++) {
                out.put(BUCKETS[i], buckets[i].sum());
            }
            return out;
        }
    }
}
