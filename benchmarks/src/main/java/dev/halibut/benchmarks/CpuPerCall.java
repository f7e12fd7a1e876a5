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
 * TLS provider and on OpenSSL ({@code tlsProvider("openssl")}); the floor and gRPC on the JDK's.
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
                for (int i = 0; i < calls; i++) {
                    v.call.call();
                }
            }
            long[][] cpu = new long[variants.size()][rounds];
            long[][] wall = new long[variants.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < variants.size(); k++) {
                    Variant v = variants.get(k);
                    long c0 = os.getProcessCpuTime();
                    long w0 = System.nanoTime();
                    for (int i = 0; i < calls; i++) {
                        v.call.call();
                    }
                    wall[k][r] = System.nanoTime() - w0;
                    cpu[k][r] = os.getProcessCpuTime() - c0;
                }
            }
            System.out.printf(Locale.ROOT, "%d calls x %d rounds, load %s%n", calls, rounds, load());
            System.out.printf(Locale.ROOT, "%-24s %14s %14s %12s %12s%n", "variant", "CPU us/call", "wall us/call",
                    "CPU x raw", "wall x raw");
            double rawCpu = median(cpu[0]) / calls / 1000.0;
            double rawWall = median(wall[0]) / calls / 1000.0;
            for (int k = 0; k < variants.size(); k++) {
                double c = median(cpu[k]) / calls / 1000.0;
                double w = median(wall[k]) / calls / 1000.0;
                System.out.printf(Locale.ROOT, "%-24s %14.1f %14.1f %12.2f %12.2f   (CPU per round: %s)%n",
                        variants.get(k).name, c, w, c / rawCpu, w / rawWall, perCall(cpu[k], calls));
            }
        }
    }

    private static String perCall(long[] v, int calls) {
        List<String> s = new ArrayList<>();
        for (long x : v) {
            s.add(String.format(Locale.ROOT, "%.1f", x / (double) calls / 1000.0));
        }
        return String.join(" ", s);
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
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
