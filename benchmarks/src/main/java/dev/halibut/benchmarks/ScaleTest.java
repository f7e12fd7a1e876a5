package dev.halibut.benchmarks;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scenario 6: how many idle polling subscribers one listener holds, what each costs it (heap after a full
 * collection, threads, resident memory, file descriptors), and calls per second while they are connected.
 * Connected subscribers are counted from the listener's connection events; the thread columns are every thread
 * of this process and those the runtime started (named halibut-..., its Netty event loops included).
 * Not a JMH benchmark: it runs for minutes and measures a process, not an operation.
 *
 * <p>This process is the listener (and the caller: in polling mode the listener queues the calls). The
 * subscribers run in child JVMs started from the same class path (one per step, so each stays within its
 * own file-descriptor limit), each a runtime polling {@code poll://sub-<i>/} with one connection per
 * subscription, ramped at {@code --rate} new subscribers per second. Loopback only; every loop is bounded
 * in count and time, and the children are ended by this process when it finishes.
 *
 * <pre>
 * java -Xmx2g -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.ScaleTest \
 *      --steps 64,1000,10000,19000 --calls-at 64,10000 --callers 64 --seconds 10 --rate 100
 * </pre>
 *
 * <p>{@code --child-jvm-args "..."} adds JVM options (split at spaces) to the subscriber processes, with
 * {@code {step}} replaced by the step they are started for: for example
 * {@code --child-jvm-args "-XX:StartFlightRecording=filename=/tmp/sub-{step}.jfr,settings=profile"}.
 */
public final class ScaleTest {

    private static final char[] PASSWORD = "bench".toCharArray();

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("subscribers")) {
            subscribers(args);
            return;
        }
        int[] steps = ints(arg(args, "--steps", "64,1000,10000,19000"));
        int[] callsAt = ints(arg(args, "--calls-at", "64,10000"));
        int callers = Integer.parseInt(arg(args, "--callers", "64"));
        int seconds = Integer.parseInt(arg(args, "--seconds", "10"));
        int rate = Integer.parseInt(arg(args, "--rate", "100"));
        // Extra JVM options for the subscriber processes, e.g. a flight recording of one of them for a profile.
        String childJvmArgs = arg(args, "--child-jvm-args", "");
        long fdLimit = fdLimit();
        System.out.printf("ScaleTest: %d cores, max heap %d MiB, open-files limit %d, steps %s, load: %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, fdLimit,
                Arrays.toString(steps), loadAverage());

        Path dir = Files.createTempDirectory("halibut-scale-");
        CertificateAndKey listenerId = Certificates.generateSelfSigned("scale-listener");
        Path subscriberP12 = dir.resolve("subscriber.p12");
        CertificateAndKey subscriberId = Certificates.generatePkcs12(subscriberP12, "scale-subscriber", PASSWORD);
        // The default maxServerConnections (1,000) would refuse the rest: raised, as an operator of such a node would.
        // All subscribers share 127.0.0.1, so the failed-handshake throttle (per source address) would pace every
        // one of them after 20 handshakes that time out under the connect storm; real subscribers come from
        // thousands of addresses. Raised so that one address stands for many hosts.
        HalibutLimits limits = HalibutLimits.defaults()
                .withMaxServerConnections(Math.max(1000, steps[steps.length - 1] + 100))
                .withFailedHandshakeBurst(1_000_000);
        List<Process> children = new ArrayList<>();
        try (HalibutRuntime listener = HalibutRuntime.builder()
                .certificate(listenerId.certificate(), listenerId.privateKey())
                .timeouts(limits).trust(thumbprint(subscriberId)).observer(SUBSCRIBERS).build()) {
            int port = listener.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Snapshot base = Snapshot.take(0);
            machineTasksAtStart = machineTasks();
            System.out.println("baseline: " + base);
            System.out.println("| subscribers | connected | heap after GC (MiB) | heap/subscriber (KiB) | threads | threads/subscriber"
                    + " | halibut threads | RSS (MiB) | RSS/subscriber (KiB) | fds | calls/s (" + callers + " callers) | failed calls |");
            int connectedSoFar = 0;
            for (int step : steps) {
                int add = step - connectedSoFar;
                if (add <= 0) {
                    continue;
                }
                if (step + 64 > fdLimit) {
                    System.out.printf("stopping before %d subscribers: this process may open %d files%n", step, fdLimit);
                    break;
                }
                // The machine is shared: a transport with a thread per connection on each side would take the whole
                // machine's process ids (kernel.pid_max) and break everyone's builds. Stop where the next step would
                // need more than 3/4 of them, at the threads per subscriber seen so far on the whole machine.
                int tasksNow = machineTasks();
                double perSubscriber = connectedSoFar == 0 ? 0 : (tasksNow - machineTasksAtStart) / (double) connectedSoFar;
                long wouldNeed = tasksNow + Math.round(perSubscriber * add);
                if (wouldNeed > PID_MAX * 3 / 4) {
                    System.out.printf("stopping before %d subscribers: at %.2f threads per subscriber on this machine (both"
                            + " sides) it would need about %d threads of the %d process ids (kernel.pid_max) the machine"
                            + " shares with others%n", step, perSubscriber, wouldNeed, PID_MAX);
                    break;
                }
                long started = System.nanoTime();
                children.add(startSubscribers(dir, port, listener.thumbprint(), subscriberP12, connectedSoFar, add, rate,
                        childJvmArgs.replace("{step}", String.valueOf(step))));
                int connected = awaitConnections(step, Math.max(120, 3 * add / rate + 60));
                double took = (System.nanoTime() - started) / 1e9;
                Snapshot s = Snapshot.take(connected);
                String calls = "";
                String failed = "";
                if (contains(callsAt, step)) {
                    long[] r = calls(listener, subscriberId, step, callers, seconds);
                    calls = String.format("%.0f", r[0] / (double) seconds);
                    failed = String.valueOf(r[1]);
                }
                System.out.printf("| %d | %d (in %.0f s) | %.1f | %.1f | %d | %.3f | %d | %.0f | %.1f | %d | %s | %s |%n", step,
                        connected, took, mib(s.heapAfterGc), kib(s.heapAfterGc - base.heapAfterGc) / Math.max(1, connected),
                        s.threads, (s.threads - base.threads) / (double) Math.max(1, connected), s.halibutThreads, mib(s.rss),
                        kib(s.rss - base.rss) / Math.max(1, connected), s.fds, calls, failed);
                connectedSoFar = step;
                if (connected < step) {
                    System.out.printf("only %d of %d subscribers connected; stopping here (load: %s)%n", connected, step,
                            loadAverage());
                    break;
                }
            }
            System.out.println("load at the end: " + loadAverage());
        } finally {
            for (Process p : children) {
                p.destroy();
            }
            for (Process p : children) {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static final int PID_MAX = readPidMax();
    private static int machineTasksAtStart;

    /** Threads and processes on the whole machine (the 4th field of /proc/loadavg is running/total). */
    private static int machineTasks() {
        String load = loadAverage();
        try {
            return Integer.parseInt(load.split("\\s+")[3].split("/")[1]);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static int readPidMax() {
        try {
            // Files.readString reads only part of a /proc file (its size is 0); read it as lines.
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/pid_max")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    private static String thumbprint(CertificateAndKey id) {
        return dev.halibut.Thumbprints.of(id.certificate());
    }

    /** {@code callers} threads call add(1,2) on random subscriptions among the first {@code subscribers}. */
    private static long[] calls(HalibutRuntime caller, CertificateAndKey subscriberId,
                                int subscribers, int callers, int seconds) throws InterruptedException {
        String tp = thumbprint(subscriberId);
        Adder[] adders = new Adder[subscribers];
        for (int i = 0; i < subscribers; i++) {
            adders[i] = caller.createClient(Adder.class, new ServiceEndPoint(URI.create("poll://sub-" + i + "/"), tp));
        }
        LongAdder ok = new LongAdder();
        LongAdder failed = new LongAdder();
        AtomicLong firstFailure = new AtomicLong();
        long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            Thread th = new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long now;
                while ((now = System.nanoTime()) < end) {
                    try {
                        if (adders[r.nextInt(adders.length)].add(1, 2) != 3) {
                            throw new IllegalStateException("wrong sum");
                        }
                        if (now >= warmEnd) {
                            ok.increment();
                        }
                    } catch (RuntimeException e) {
                        failed.increment();
                        if (firstFailure.compareAndSet(0, 1)) {
                            System.out.println("first failed call: " + e);
                        }
                    }
                }
            }, "scale-caller-" + t);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        // The measured window, to cut a flight recording of the whole run down to it.
        System.out.printf("calls at %d subscribers measured from %s for %d s%n", subscribers,
                java.time.Instant.now().minusSeconds(seconds), seconds);
        return new long[] {ok.sum(), failed.sum()};
    }

    private static Process startSubscribers(Path dir, int port, String listenerThumbprint, Path p12, int from, int count,
                                            int rate, String jvmArgs) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // Each subscriber's connection holds ~75 KiB of heap on the subscriber side too: a heap that is nearly full
        // of live connections collects all the time (seen: a third of the run in GC pauses with 10,000 in 1 GiB).
        long heapMiB = Math.max(512, 256 + count * 200L / 1024);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heapMiB + "m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"));
        if (!jvmArgs.isBlank()) {
            cmd.addAll(Arrays.asList(jvmArgs.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ScaleTest.class.getName(), "subscribers",
                String.valueOf(port), listenerThumbprint, p12.toString(), String.valueOf(from), String.valueOf(count),
                String.valueOf(rate)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("subscribers-" + from + ".log").toFile()).start();
        return p;
    }

    /** Waits until the listener serves {@code expected} subscriber connections, or the count stops growing. */
    private static int awaitConnections(int expected, int maxSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        int last = -1;
        long lastChange = System.nanoTime();
        while (System.nanoTime() < deadline) {
            int n = SUBSCRIBERS.open();
            if (n >= expected) {
                return n;
            }
            if (n != last) {
                last = n;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(30)) {
                return n; // no progress for 30 s
            }
            Thread.sleep(500);
        }
        return Math.max(0, last);
    }

    /**
     * Counts the subscriber connections the listener has identified and not yet closed, from the runtime's own
     * connection events: independent of how the transport runs its connections (a thread each, or event loops).
     */
    private static final SubscriberCount SUBSCRIBERS = new SubscriberCount();

    private static final class SubscriberCount implements HalibutObserver {
        private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void connectionOpened(ConnectionEvent event) {
            if (event.direction() == Direction.INBOUND && event.role() == Role.SUBSCRIBER) {
                open.incrementAndGet();
            }
        }

        @Override
        public void connectionClosed(ConnectionEvent event) {
            if (event.direction() == Direction.INBOUND && event.role() == Role.SUBSCRIBER) {
                open.decrementAndGet();
            }
        }

        int open() {
            return open.get();
        }
    }

    /** Threads of this process that the runtime started: all named halibut-... (its event loops halibut-N-io-...). */
    private static int countHalibutThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("halibut")) {
                n++;
            }
        }
        return n;
    }

    /** The child: one runtime polling {@code count} subscriptions, started at {@code rate} per second. */
    private static void subscribers(String[] a) throws Exception {
        int port = Integer.parseInt(a[1]);
        String listenerThumbprint = a[2];
        Path p12 = Path.of(a[3]);
        int from = Integer.parseInt(a[4]);
        int count = Integer.parseInt(a[5]);
        int rate = Integer.parseInt(a[6]);
        HalibutRuntime host = HalibutRuntime.builder().certificate(p12, PASSWORD)
                .service(Adder.class, new Adder.Impl()).build();
        ServiceEndPoint listener = new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), listenerThumbprint);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            host.poll(URI.create("poll://sub-" + (from + i) + "/"), listener);
            long due = start + (long) ((i + 1) * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
        System.out.println("started " + count + " subscribers");
        // Runs until the parent ends it: destroy(), or the parent's end closing our stdin (a pipe), so a
        // parent that dies without cleaning up leaves no subscribers behind.
        while (System.in.read() >= 0) {
            // nothing is sent on stdin; reading only detects its end
        }
        host.close();
    }

    private record Snapshot(long heapAfterGc, int threads, int halibutThreads, long rss, int fds) {
        static Snapshot take(int connected) throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return new Snapshot(heap, ManagementFactory.getThreadMXBean().getThreadCount(), countHalibutThreads(), readRss(),
                    countFds());
        }

        @Override
        public String toString() {
            return String.format("heap after GC %.1f MiB, %d threads (%d of Halibut and Netty), RSS %.0f MiB, %d open files",
                    mib(heapAfterGc), threads, halibutThreads, mib(rss), fds);
        }
    }

    private static long readRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return -1;
    }

    private static int countFds() {
        String[] fds = new java.io.File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static long fdLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Max open files")) {
                    return Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return Long.MAX_VALUE;
    }

    private static String loadAverage() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Files.newInputStream(Path.of("/proc/loadavg")), StandardCharsets.US_ASCII))) {
            return r.readLine();
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean contains(int[] values, int v) {
        return Arrays.stream(values).anyMatch(x -> x == v);
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static String arg(String[] args, String name, String def) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static double kib(long bytes) {
        return bytes / 1024.0;
    }

    private ScaleTest() {
    }
}
