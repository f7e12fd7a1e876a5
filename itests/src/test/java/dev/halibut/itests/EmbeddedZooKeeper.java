package dev.halibut.itests;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A real ZooKeeper server for {@link RemoteServiceAdminIT}, in the Pax Exam test driver's JVM (outside Karaf,
 * where ZooKeeper 3.9's server does not start): standalone, on a free loopback port, its data in a temporary
 * directory under target. Started by the test class's configuration; the driver JVM's shutdown hook, its owner,
 * stops it and deletes the directory (the container is gone by then).
 *
 * <p>The tests run inside the container and cannot call the driver, so a control port (loopback, one line per
 * connection) lets them restart the server: {@code restart} stops it and starts it again on the same port with
 * the same data, and answers {@code ok} once it listens again.
 */
final class EmbeddedZooKeeper {
    private static Path data;
    private static int port;
    private static ServerCnxnFactory factory;
    private static ServerSocket control;

    private EmbeddedZooKeeper() {
    }

    /** The server's port and the control port, for the container. */
    record Ports(int zooKeeper, int control) {
    }

    /** Starts the server (and its control port) once per driver JVM and returns the ports. */
    static synchronized Ports start(File target) {
        if (factory != null) {
            return new Ports(port, control.getLocalPort());
        }
        try {
            data = Files.createTempDirectory(target.toPath(), "zookeeper");
            serve(0);
            control = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
            Thread controller = new Thread(EmbeddedZooKeeper::control, "zookeeper-control");
            controller.setDaemon(true);
            controller.start();
            Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedZooKeeper::stop, "zookeeper-shutdown"));
            return new Ports(port, control.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException("The test's ZooKeeper server did not start", e);
        }
    }

    /** Starts a server on {@code onPort} (0: a free one) with the data directory. */
    private static void serve(int onPort) throws IOException {
        ZooKeeperServer server = new ZooKeeperServer(data.toFile(), data.toFile(), 500);
        ServerCnxnFactory cnxns = ServerCnxnFactory.createFactory(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
        try {
            cnxns.startup(server);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while starting the test's ZooKeeper server", e);
        }
        factory = cnxns;
        port = cnxns.getLocalPort();
    }

    private static synchronized void restart() throws IOException {
        factory.shutdown();
        serve(port);
    }

    /** Serves the control port until the JVM ends (the shutdown hook closes it). */
    private static void control() {
        while (!control.isClosed()) {
            try (Socket s = control.accept();
                 BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                 Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.US_ASCII)) {
                String command = in.readLine();
                if ("restart".equals(command)) {
                    restart();
                    out.write("ok\n");
                } else {
                    out.write("unknown command: " + command + "\n");
                }
                out.flush();
            } catch (IOException e) {
                if (!control.isClosed()) {
                    System.err.println("The test's ZooKeeper control port failed: " + e);
                }
            }
        }
    }

    private static synchronized void stop() {
        try {
            control.close();
        } catch (IOException ignored) {
            // closing at JVM exit
        }
        factory.shutdown();
        delete(data);
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover directory under target is harmless
        }
    }
}
