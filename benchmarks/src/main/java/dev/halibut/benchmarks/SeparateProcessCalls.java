package dev.halibut.benchmarks;

import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * Scenario 3 with the caller and the service host in two processes: 64 caller threads in this JVM call
 * {@code add(1,2)} as fast as they can on a Halibut listening endpoint (default limits, so the default pool), on a
 * Halibut polling endpoint (the child polls this JVM's listener with 64 connections, as in
 * {@link ConcurrentCallsBenchmark}) and on a gRPC server (one shared channel), all served by a child JVM. In {@link ConcurrentCallsBenchmark} both ends share
 * one JVM, so each side's event loops, workers and garbage collector compete with the other side's inside one
 * process; here they compete only for the machine's cores, as two deployed nodes on one machine would. Rounds
 * alternate Halibut and gRPC; the figures are calls per second and the CPU per call of both processes together.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.SeparateProcessCalls [seconds per round] [rounds] [variants]</pre>
 * ({@code variants}: a comma-separated subset of halibutListening, halibutPolling, e.g. {@code halibutPolling}; gRPC,
 * the reference, always runs)
 * The first two rounds of each are a warm-up and not counted. {@code -Ddev.halibut.io.transport=...} is passed on to the
 * child.
 */
public final class SeparateProcessCalls {

    private static final int CALLERS = 64;
    private static final int WARM_UP_ROUNDS = 2;
    private static final char[] PASSWORD = "bench".toCharArray();
    private static final String TRANSPORT_PROPERTY = "dev.halibut.io.transport";
    /** The subscription the child polls for. */
    private static final URI POLLED = URI.create("poll://separate-bench/");

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("host")) {
            host(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
            return;
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> only = args.length > 2 ? List.of(args[2].split(",")) : null;
        Path dir = Files.createTempDirectory("halibut-separate");
        Path hostP12 = dir.resolve("host.p12");
        Path callerP12 = dir.resolve("caller.p12");
        Certificates.writePkcs12(hostP12, PASSWORD, Identities.HOST);
        Certificates.writePkcs12(callerP12, PASSWORD, Identities.CALLER);
        String hostThumbprint = Certificates.thumbprint(Identities.HOST.certificate());
        // The caller listens too: the child's polling connections dial in to it.
        HalibutRuntime caller = HalibutRuntime.builder()
                .certificate(Identities.CALLER.certificate(), Identities.CALLER.privateKey())
                .trust(hostThumbprint).build();
        int callerPort = caller.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        String transport = System.getProperty(TRANSPORT_PROPERTY);
        if (transport != null) {
            cmd.add("-D" + TRANSPORT_PROPERTY + "=" + transport);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SeparateProcessCalls.class.getName(), "host",
                hostP12.toString(), callerP12.toString(), Integer.toString(callerPort)));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine(); // "READY <halibut port> <grpc port>", or null if the child died
            if (ready == null || !ready.startsWith("READY ")) {
                throw new IllegalStateException("The host process did not start (it said: " + ready + ")");
            }
            String[] ports = ready.split(" ");
            run(caller, child, Integer.parseInt(ports[1]), Integer.parseInt(ports[2]), hostThumbprint, seconds, rounds,
                    only);
        } finally {
            child.getOutputStream().close(); // the child ends when its stdin ends
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
            caller.close();
            Files.deleteIfExists(hostP12);
            Files.deleteIfExists(callerP12);
            Files.deleteIfExists(dir);
        }
    }

    private static void run(HalibutRuntime caller, Process child, int halibutPort, int grpcPort, String hostThumbprint,
                            int seconds, int rounds, List<String> only) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        ServiceEndPoint endpoint = new ServiceEndPoint(URI.create("https://localhost:" + halibutPort + "/"), hostThumbprint);
        ManagedChannel channel = GrpcPeer.channelTo(new InetSocketAddress(loopback, grpcPort), Identities.CALLER,
                hostThumbprint);
        try {
            Adder adder = caller.createClient(Adder.class, endpoint);
            Adder polled = caller.createClient(Adder.class, new ServiceEndPoint(POLLED, hostThumbprint));
            if (polled.add(1, 2) != 3) { // waits (up to the collection timeout) for the child's polling connections
                throw new IllegalStateException("add(1,2) over polling did not return 3");
            }
            List<String> names = new ArrayList<>(List.of("halibutListening", "halibutPolling", "grpc"));
            List<IntSupplier> calls = new ArrayList<>(List.of(() -> adder.add(1, 2), () -> polled.add(1, 2),
                    () -> GrpcPeer.add(channel, 1, 2)));
            for (int k = names.size() - 2; k >= 0; k--) { // gRPC, last, always runs
                if (only != null && !only.contains(names.get(k))) {
                    names.remove(k);
                    calls.remove(k);
                }
            }
            int variants = names.size();
            int grpcIndex = variants - 1;
            double[][] rate = new double[variants][rounds];
            double[][] cpu = new double[variants][rounds];
            double[][] callerCpu = new double[variants][rounds]; // this process's share (the caller; the listener in polling)
            // Two warm-up rounds: on a busy two-core machine the JIT of both processes was still catching up
            // after one (calls/s of the first counted rounds rose 2-5x from round to round).
            for (int r = -WARM_UP_ROUNDS; r < rounds; r++) {
                for (int k = 0; k < variants; k++) {
                    long own0 = ownCpuNanos();
                    long cpu0 = cpuNanos(child);
                    long n = callFor(calls.get(k), Duration.ofSeconds(seconds));
                    long cpu1 = cpuNanos(child);
                    long own1 = ownCpuNanos();
                    if (r >= 0) {
                        rate[k][r] = n / (double) seconds;
                        cpu[k][r] = (cpu1 - cpu0) / 1000.0 / n;
                        callerCpu[k][r] = (own1 - own0) / 1000.0 / n;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%d callers, %d s x %d rounds, I/O %s, load %s%n", CALLERS, seconds, rounds,
                    System.getProperty(TRANSPORT_PROPERTY, "auto"), load());
            System.out.printf(Locale.ROOT, "%-18s %12s %10s %16s %18s   %s%n", "variant", "calls/s", "x grpc",
                    "CPU us/call", "of it this process", "(calls/s per round)");
            double grpc = median(rate[grpcIndex]);
            for (int k = 0; k < variants; k++) {
                System.out.printf(Locale.ROOT, "%-18s %12.0f %10.2f %16.1f %18.1f   %s%n", names.get(k), median(rate[k]),
                        median(rate[k]) / grpc, median(cpu[k]), median(callerCpu[k]), Arrays.toString(rate[k]));
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Runs {@link #CALLERS} threads calling {@code call} for {@code time}; returns the calls that succeeded. */
    private static long callFor(IntSupplier call, Duration time) throws InterruptedException {
        LongAdder done = new LongAdder();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] end = new long[1];
        for (int t = 0; t < CALLERS; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    while (System.nanoTime() < end[0]) {
                        if (call.getAsInt() != 3) {
                            throw new IllegalStateException("add(1,2) did not return 3");
                        }
                        done.increment();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "separate-caller-" + t);
            th.start();
            threads.add(th);
        }
        end[0] = System.nanoTime() + time.toNanos(); // published to the callers by the latch
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        return done.sum();
    }

    /** CPU time so far of this process and of {@code child} (Linux: from /proc, through ProcessHandle). */
    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long cpuNanos(Process child) {
        long own = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        long other = child.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        return own + other;
    }

    /**
     * The child: a Halibut host listening on loopback and polling the parent's listener at {@code callerPort} with
     * {@link #CALLERS} connections, and a gRPC server, until its stdin ends.
     */
    private static void host(Path hostP12, Path callerP12, int callerPort) throws Exception {
        CertificateAndKey hostId = Certificates.loadPkcs12(hostP12, PASSWORD);
        CertificateAndKey callerId = Certificates.loadPkcs12(callerP12, PASSWORD);
        try (HalibutRuntime host = HalibutRuntime.builder().certificate(hostId.certificate(), hostId.privateKey())
                .service(Adder.class, new Adder.Impl())
                .trust(Certificates.thumbprint(callerId.certificate())).build();
             GrpcPeer grpc = new GrpcPeer(hostId, callerId)) {
            int port = host.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            host.poll(POLLED, new ServiceEndPoint(URI.create("https://localhost:" + callerPort + "/"),
                    Certificates.thumbprint(callerId.certificate())), CALLERS);
            System.out.println("READY " + port + " " + grpc.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // nothing is sent on stdin; reading only detects its end (the parent closed it, or died)
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private SeparateProcessCalls() {
    }
}
