package dev.halibut.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import dev.halibut.HalibutLimits;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * CPU time per small call, both ends in this process (client and server work together), next to the wall
 * time. On a shared two-core machine the latency of a call moves with everyone else's load; the CPU it costs
 * hardly does, so this is the steadier way to compare the per-call work of Halibut, the raw TLS floor and
 * gRPC. Rounds alternate between the variants so that drifting load hits each alike. Halibut runs on the JDK's
 * TLS provider and on OpenSSL ({@code tlsProvider("openssl")}); the floor and gRPC on the JDK's. The column
 * "waits/call" counts the times a thread of this process blocked per call (voluntary context switches, Linux):
 * the thread hand-offs of a call, which CPU time alone does not show apart from the work; "kernel CPU" is the
 * share of the process's CPU spent in the kernel (socket calls, selector waits, wake-ups).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.CpuPerCall [calls per round] [rounds] [variant]</pre>
 * (with a variant name, only that variant and the floor run: for profiling one of them)
 */
public final class CpuPerCall {

    private record Variant(String name, Callable<Integer> call) {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (HalibutNodes listening = HalibutNodes.listening(Identities.CALLER, Identities.HOST, HalibutLimits.defaults());
             HalibutNodes polling = HalibutNodes.polling(Identities.CALLER, Identities.HOST, 1);
             HalibutNodes listeningOpenSsl = HalibutNodes.listening(Identities.CALLER, Identities.HOST,
                     HalibutLimits.defaults(), "openssl");
             HalibutNodes pollingOpenSsl = HalibutNodes.polling(Identities.CALLER, Identities.HOST, 1, "openssl");
             RawTlsPair raw = new RawTlsPair(Identities.HOST, Identities.CALLER);
             GrpcPeer grpc = new GrpcPeer(Identities.HOST, Identities.CALLER)) {
            Adder l = listening.warmAdder();
            Adder p = polling.warmAdder();
            Adder lo = listeningOpenSsl.warmAdder();
            Adder po = pollingOpenSsl.warmAdder();
            byte[] request = new byte[Identities.ADD_REQUEST_BYTES];
            List<Variant> variants = List.of(
                    new Variant("rawTls", () -> raw.pingPong(request, Identities.ADD_RESPONSE_BYTES)),
                    new Variant("halibutListening", () -> l.add(1, 2)),
                    new Variant("halibutPolling", () -> p.add(1, 2)),
                    new Variant("halibutListeningOpenSsl", () -> lo.add(1, 2)),
                    new Variant("halibutPollingOpenSsl", () -> po.add(1, 2)),
                    new Variant("grpc", () -> grpc.add(1, 2)));
            if (args.length > 2) { // one variant only, e.g. to profile it with JFR
                variants = variants.stream().filter(v -> v.name.equals(args[2]) || v.name.equals("rawTls")).toList();
            }
            for (Variant v : variants) { // warm-up
                run(v, calls);
            }
            // Per call, per round: a round ends after `calls` calls or ROUND_NANOS, whichever comes first, so a variant
            // that is slow per call (seen: 0.2 s per polling call on a transport under construction) still ends.
            double[][] cpu = new double[variants.size()][rounds];
            double[][] wall = new double[variants.size()][rounds];
            int[][] done = new int[variants.size()][rounds];
            double[][] waits = new double[variants.size()][rounds];
            double[][] kernel = new double[variants.size()][rounds];
            double[][] alloc = new double[variants.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < variants.size(); k++) {
                    long s0 = voluntarySwitches();
                    long a0 = allocatedBytes();
                    long[] t0 = userAndSystemTicks();
                    long c0 = os.getProcessCpuTime();
                    long w0 = System.nanoTime();
                    int n = run(variants.get(k), calls);
                    alloc[k][r] = (allocatedBytes() - a0) / (double) n;
                    waits[k][r] = (voluntarySwitches() - s0) / (double) n;
                    long[] t1 = userAndSystemTicks();
                    long ticks = (t1[0] - t0[0]) + (t1[1] - t0[1]);
                    kernel[k][r] = ticks == 0 ? 0 : 100.0 * (t1[1] - t0[1]) / ticks;
                    wall[k][r] = (System.nanoTime() - w0) / 1000.0 / n;
                    cpu[k][r] = (os.getProcessCpuTime() - c0) / 1000.0 / n;
                    done[k][r] = n;
                }
            }
            System.out.printf(Locale.ROOT, "up to %d calls (or %d s) x %d rounds, load %s%n", calls, ROUND_NANOS / 1_000_000_000L,
                    rounds, load());
            System.out.printf(Locale.ROOT, "%-24s %14s %14s %12s %12s %13s %12s %13s%n", "variant", "CPU us/call", "wall us/call",
                    "CPU x raw", "wall x raw", "waits/call", "kernel CPU", "heap B/call");
            double rawCpu = median(cpu[0]);
            double rawWall = median(wall[0]);
            for (int k = 0; k < variants.size(); k++) {
                double c = median(cpu[k]);
                double w = median(wall[k]);
                System.out.printf(Locale.ROOT, "%-24s %14.1f %14.1f %12.2f %12.2f %13.2f %11.0f%% %13.0f   (CPU per round: %s; calls per round: %s)%n",
                        variants.get(k).name, c, w, c / rawCpu, w / rawWall, median(waits[k]), median(kernel[k]), median(alloc[k]),
                        perCall(cpu[k]), java.util.Arrays.toString(done[k]));
            }
        }
    }

    private static final long ROUND_NANOS = 10_000_000_000L;

    /** Calls {@code v} up to {@code calls} times or for ROUND_NANOS; returns how many calls it made. */
    private static int run(Variant v, int calls) throws Exception {
        long end = System.nanoTime() + ROUND_NANOS;
        int i = 0;
        while (i < calls && (i % 16 != 0 || System.nanoTime() < end)) {
            v.call.call();
            i++;
        }
        return i;
    }

    private static String perCall(double[] v) {
        List<String> s = new ArrayList<>();
        for (double x : v) {
            s.add(String.format(Locale.ROOT, "%.1f", x));
        }
        return String.join(" ", s);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    /**
     * Voluntary context switches of this process's live threads so far (Linux; 0 elsewhere): each time a thread
     * blocked (parked, waited in epoll, in a read). Per call, a count of the thread hand-offs a call costs, steadier
     * than CPU time on a shared machine.
     */
    static long voluntarySwitches() {
        long sum = 0;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    for (String line : java.nio.file.Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException | RuntimeException threadEnded) {
                    // the thread ended meanwhile: its switches are no longer counted anywhere
                }
            }
        } catch (java.io.IOException notLinux) {
            return 0;
        }
        return sum;
    }

    /**
     * This process's user and system CPU so far in clock ticks (fields 14 and 15 of /proc/self/stat; zeros
     * elsewhere): the share spent in the kernel is that of the socket calls, selector waits and thread wake-ups.
     */
    private static long[] userAndSystemTicks() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])}; // fields 14, 15 (state is field 3)
        } catch (java.io.IOException | RuntimeException notLinux) {
            return new long[2];
        }
    }

    /**
     * Heap bytes allocated so far by this process's live threads (HotSpot's per-thread counters): per call, what a
     * call allocates on every thread it crosses (caller, event loops, workers), which the garbage collector then
     * spends CPU on. Threads that ended meanwhile drop out of the sum, so a round is exact only while the threads
     * stay (they do in a steady run: pooled connections, event loops, the host's workers).
     */
    private static long allocatedBytes() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long a : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, a);
        }
        return sum;
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private CpuPerCall() {
    }
}
