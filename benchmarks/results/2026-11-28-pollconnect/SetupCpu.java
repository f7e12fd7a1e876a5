import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.benchmarks.Adder;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/** CPU per new connection + call (poolMaxIdlePerEndpoint 0), both runtimes in this JVM. */
public class SetupCpu {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        CertificateAndKey host = Certificates.generateSelfSigned("h");
        CertificateAndKey caller = Certificates.generateSelfSigned("c");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (HalibutRuntime h = HalibutRuntime.builder().certificate(host.certificate(), host.privateKey())
                .service(Adder.class, new Adder.Impl()).build();
             HalibutRuntime c = HalibutRuntime.builder().certificate(caller.certificate(), caller.privateKey())
                     .timeouts(HalibutLimits.defaults().withPoolMaxIdlePerEndpoint(0)).build()) {
            int port = h.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            h.trust(c.thumbprint());
            Adder a = c.createClient(Adder.class, new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), h.thumbprint()));
            for (int i = 0; i < n; i++) a.add(1, 2);
            for (int round = 0; round < 3; round++) {
                long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                for (int i = 0; i < n; i++) a.add(1, 2);
                long cpu = os.getProcessCpuTime() - cpu0, wall = System.nanoTime() - t0;
                System.out.printf("round %d: CPU %.0f us/op, wall %.0f us/op%n", round, cpu / 1e3 / n, wall / 1e3 / n);
            }
        }
    }
}
