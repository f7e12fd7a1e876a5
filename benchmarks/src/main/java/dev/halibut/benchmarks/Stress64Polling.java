package dev.halibut.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A stress harness for the polling path (a stall hunt, not a benchmark): {@code callers} threads call
 * {@code add(1,2)} through one polling subscription served by {@code connections} polling connections, for
 * {@code seconds}. A watchdog looks at every call in flight every 50 ms; the first time a call has been in flight
 * longer than {@code stallMs}, it prints a dump of every thread of the JVM and the pending-request queue's state
 * (each request not yet done: its state, how long ago it was queued and sent), so that a lost wake-up shows where
 * it is stuck while it is stuck. At the end: calls, calls/s, the slowest call and the count over {@code stallMs}.
 * Exit code 2 if a call was still in flight at the end (a hang).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.Stress64Polling [seconds] [callers] [connections] [stallMs]</pre>
 * Run it on a loaded machine (other builds, or busy threads in another process): the stall was seen at load 100+.
 */
public final class Stress64Polling {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int callers = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        long stallNanos = (args.length > 3 ? Long.parseLong(args[3]) : 1000) * 1_000_000L;
        long chaosMs = args.length > 4 ? Long.parseLong(args[4]) : 0;
        try (HalibutNodes nodes = HalibutNodes.polling(Identities.CALLER, Identities.HOST, connections)) {
            Adder adder = nodes.warmAdder();
            awaitConnected(nodes, connections);
            // Per caller: when its call in flight started (System.nanoTime), or 0 between calls.
            AtomicLongArray inFlightSince = new AtomicLongArray(callers);
            AtomicLong calls = new AtomicLong();
            AtomicLong maxNanos = new AtomicLong();
            AtomicLong over = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Map<String, AtomicLong> failureKinds = new java.util.concurrent.ConcurrentHashMap<>();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            CountDownLatch done = new CountDownLatch(callers);
            long started = System.nanoTime();
            long switches0 = CpuPerCall.voluntarySwitches();
            long cpu0 = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
            for (int i = 0; i < callers; i++) {
                int me = i;
                Thread t = new Thread(() -> {
                    try {
                        while (System.nanoTime() - end < 0) {
                            long t0 = System.nanoTime();
                            inFlightSince.set(me, t0);
                            try {
                                if (adder.add(1, 2) != 3) {
                                    throw new IllegalStateException("add(1,2) != 3");
                                }
                            } catch (RuntimeException e) {
                                failures.incrementAndGet();
                                String why = String.valueOf(e.getMessage());
                                why = why.substring(why.indexOf(": ") + 2);
                                failureKinds.computeIfAbsent(why.length() > 70 ? why.substring(0, 70) : why,
                                        k -> new AtomicLong()).incrementAndGet();
                            }
                            long took = System.nanoTime() - t0;
                            inFlightSince.set(me, 0);
                            calls.incrementAndGet();
                            maxNanos.accumulateAndGet(took, Math::max);
                            if (took > stallNanos) {
                                over.incrementAndGet();
                                System.out.printf(Locale.ROOT, "caller %d: a call took %d ms%n", me, took / 1_000_000);
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                }, "stress-caller-" + i);
                t.setDaemon(true);
                t.start();
            }
            java.util.concurrent.ScheduledExecutorService chaos = null;
            Map<String, AtomicLong> chaosDone = new java.util.concurrent.ConcurrentHashMap<>();
            if (chaosMs > 0) {
                chaos = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "stress-chaos");
                    t.setDaemon(true);
                    return t;
                });
                ConnectionBreaker breaker = new ConnectionBreaker(nodes, chaosDone);
                java.util.concurrent.ScheduledExecutorService faults = chaos;
                faults.scheduleWithFixedDelay(() -> {
                    if (!breaker.breakOne()) {
                        faults.shutdown(); // the runtimes' fields could not be read: no more faults
                    }
                }, chaosMs, chaosMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            boolean dumped = false;
            long lastReport = System.nanoTime();
            while (!done.await(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                long oldest = 0;
                for (int i = 0; i < callers; i++) {
                    long s = inFlightSince.get(i);
                    if (s != 0) {
                        oldest = Math.max(oldest, now - s);
                    }
                }
                if (oldest > stallNanos && !dumped) {
                    dumped = true;
                    System.out.printf(Locale.ROOT, "%n=== a call has been in flight for %d ms: threads and queue ===%n",
                            oldest / 1_000_000);
                    dumpThreads();
                    dumpQueue(nodes.caller);
                }
                if (now - lastReport > 10_000_000_000L) {
                    lastReport = now;
                    System.out.printf(Locale.ROOT, "%d calls, max %d ms, %d over %d ms, oldest in flight %d ms%n",
                            calls.get(), maxNanos.get() / 1_000_000, over.get(), stallNanos / 1_000_000,
                            oldest / 1_000_000);
                }
                if (now - end > 30_000_000_000L) {
                    System.out.println("HANG: calls still in flight 30 s after the end");
                    dumpThreads();
                    dumpQueue(nodes.caller);
                    System.out.flush();
                    Runtime.getRuntime().halt(2);
                }
            }
            double secs = (System.nanoTime() - started) / 1e9;
            long cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime() - cpu0;
            long switches = CpuPerCall.voluntarySwitches() - switches0;
            System.out.printf(Locale.ROOT, "RESULT callers=%d connections=%d calls=%d calls/s=%.0f max=%d ms over%dms=%d"
                            + " failures=%d cpu_us/call=%.1f waits/call=%.2f load=%s%n", callers, connections, calls.get(),
                    calls.get() / secs, maxNanos.get() / 1_000_000, stallNanos / 1_000_000, over.get(), failures.get(),
                    cpu / 1000.0 / Math.max(1, calls.get()), switches / (double) Math.max(1, calls.get()),
                    java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
            failureKinds.forEach((k, v) -> System.out.println("  failed " + v + "x: " + k));
            chaosDone.forEach((k, v) -> System.out.println("  chaos " + k + ": " + v));
            if (chaos != null) {
                chaos.shutdownNow();
            }
        }
    }

    /**
     * Ends one connection at random each time it is asked (every {@code faultEveryMs}), the way a network or a peer
     * would: the listener's side of a subscriber connection closed or aborted, or the service host's side aborted or
     * ended with END. Calls may fail (with the protocol's reasons), and must never hang.
     */
    private static final class ConnectionBreaker {
        private final java.util.Random random = new java.util.Random(42);
        private final HalibutNodes nodes;
        private final Map<String, AtomicLong> done;

        ConnectionBreaker(HalibutNodes nodes, Map<String, AtomicLong> done) {
            this.nodes = nodes;
            this.done = done;
        }

        /** Ends one connection, if there is one; {@code false} once the runtimes' fields cannot be read. */
        boolean breakOne() {
            try {
                int kind = random.nextInt(4);
                dev.halibut.transport.Connection c;
                if (kind < 2) {
                    Object session = field(nodes.caller, "subscriberSession");
                    Object[] sessions = ((Collection<?>) field(session, "served")).toArray();
                    if (sessions.length == 0) {
                        return true;
                    }
                    c = (dev.halibut.transport.Connection) field(sessions[random.nextInt(sessions.length)], "connection");
                } else {
                    List<Object> pollers = new java.util.ArrayList<>();
                    for (Object sub : (Collection<?>) field(nodes.host, "subscriptions")) {
                        pollers.addAll((Collection<?>) field(sub, "pollers"));
                    }
                    c = (dev.halibut.transport.Connection) field(pollers.get(random.nextInt(pollers.size())), "connection");
                    if (c == null) {
                        return true;
                    }
                }
                String what = switch (kind) {
                    case 0 -> { c.close(); yield "listener close"; }
                    case 1 -> { c.abort(); yield "listener abort"; }
                    case 2 -> { c.abort(); yield "host abort"; }
                    default -> { c.closeGracefully(); yield "host END"; }
                };
                done.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
                return true;
            } catch (ReflectiveOperationException | RuntimeException e) {
                System.out.println("chaos stopped: " + e);
                return false;
            }
        }
    }

    /** Slow calls while the pollers still connect are not stalls: measure once all are connected. */
    private static void awaitConnected(HalibutNodes nodes, int connections) {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (nodes.host.status().subscriptions().stream().mapToInt(s -> s.connected()).sum() < connections) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the " + connections + " polling connections did not connect within 120 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L); // a status has no event to wait on
        }
    }

    private static void dumpThreads() {
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            StringBuilder b = new StringBuilder();
            b.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
            if (t.getLockName() != null) {
                b.append(" on ").append(t.getLockName());
            }
            if (t.getLockOwnerName() != null) {
                b.append(" owned by \"").append(t.getLockOwnerName()).append('"');
            }
            b.append('\n');
            for (StackTraceElement e : t.getStackTrace()) {
                b.append("\tat ").append(e).append('\n');
            }
            System.out.println(b);
        }
    }

    /**
     * The in-memory queue's state, read by reflection (it has no public view of its requests): per subscription,
     * the waiting takers, the queued requests and every request not yet done with its state and ages.
     */
    private static void dumpQueue(Object runtime) {
        try {
            Object observed = field(runtime, "queue");
            Object queue = field(observed, "queue");
            long now = System.nanoTime();
            for (Object s : ((Map<?, ?>) field(queue, "subscriptions")).values()) {
                java.util.concurrent.locks.Lock lock = (java.util.concurrent.locks.Lock) field(s, "lock");
                lock.lock(); // the queue's own lock: its collections are read as they are, not mid-change
                try {
                    dumpSubscription(s, now);
                } finally {
                    lock.unlock();
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.out.println("(the queue's state could not be read: " + e + ")");
        }
    }

    private static void dumpSubscription(Object s, long now) throws ReflectiveOperationException {
        System.out.printf(Locale.ROOT, "subscription %s: %d takers waiting, %d queued%n", field(s, "key"),
                ((Collection<?>) field(s, "waiters")).size(), ((Collection<?>) field(s, "queue")).size());
        Object[] live = ((Collection<?>) field(s, "live")).toArray();
        Arrays.sort(live, (a, b) -> Long.compare(collectBy(a), collectBy(b)));
        for (Object e : live) {
            long sentAt = (long) field(e, "sentAt");
            System.out.printf(Locale.ROOT, "  request %s %s collectBy in %d ms, sent %s%n", field(e, "requestId"),
                    field(e, "state"), (collectBy(e) - now) / 1_000_000,
                    sentAt == 0 ? "never" : (now - sentAt) / 1_000_000 + " ms ago");
        }
    }

    private static long collectBy(Object entry) {
        try {
            return (long) field(entry, "collectBy");
        } catch (ReflectiveOperationException e) {
            return 0;
        }
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(name + " in " + o.getClass());
    }
}
