package dev.halibut.examples.calculator.demo;

import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceInvocationException;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Two runtimes in one JVM on loopback. The tentacle hosts the calculator; the octopus calls it over
 * mutually authenticated TLS, first with the tentacle listening, then with the tentacle polling the
 * octopus. Certificates are generated into a temporary folder that
 * is removed at the end.
 */
public final class CalculatorDemo {

    private CalculatorDemo() {
    }

    public static void main(String[] args) throws IOException {
        char[] password = "demo-password".toCharArray();
        Path dir = Files.createTempDirectory("halibut-demo");
        try {
            Path octopusP12 = dir.resolve("octopus.p12");
            Path tentacleP12 = dir.resolve("tentacle.p12");
            Certificates.generatePkcs12(octopusP12, "octopus", password);
            Certificates.generatePkcs12(tentacleP12, "tentacle", password);

            try (HalibutRuntime octopus = HalibutRuntime.builder().certificate(octopusP12, password).build();
                 HalibutRuntime tentacle = HalibutRuntime.builder().certificate(tentacleP12, password)
                         .service(Calculator.class, new CalculatorImpl()).build()) {
                System.out.println("Halibut calculator demo");
                System.out.println("  octopus  (caller)       thumbprint " + octopus.thumbprint());
                System.out.println("  tentacle (service host) thumbprint " + tentacle.thumbprint());

                // Listening mode: the service host listens, the caller connects.
                int tentaclePort = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                tentacle.trust(octopus.thumbprint());
                ServiceEndPoint listening = new ServiceEndPoint(URI.create("https://localhost:" + tentaclePort + "/"),
                        tentacle.thumbprint());
                run("Listening mode: octopus connects to the tentacle at " + listening.baseUri(),
                        octopus.createClient(Calculator.class, listening));

                // Polling mode: the caller listens, the service host dials out and collects requests.
                int octopusPort = octopus.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                octopus.trust(tentacle.thumbprint());
                URI subscription = URI.create("poll://tentacle-demo/");
                tentacle.poll(subscription, new ServiceEndPoint(URI.create("https://localhost:" + octopusPort + "/"),
                        octopus.thumbprint()));
                run("Polling mode: the tentacle polls the octopus at https://localhost:" + octopusPort + "/ for "
                        + subscription, octopus.createClient(Calculator.class,
                        new ServiceEndPoint(subscription, tentacle.thumbprint())));
                System.out.println("Demo finished: the same calls over mutual TLS in both modes.");
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    private static void run(String title, Calculator calc) {
        System.out.println(title);
        System.out.println("  add(1, 2)     = " + calc.add(1, 2));
        System.out.println("  add(40, 2)    = " + calc.add(40, 2));
        System.out.println("  divide(84, 2) = " + calc.divide(84, 2));
        try {
            calc.divide(1, 0);
        } catch (ServiceInvocationException e) {
            System.out.println("  divide(1, 0)  -> " + e.getClass().getSimpleName() + ": " + e.getRemoteType()
                    + ": " + e.getRemoteMessage());
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
