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
 * connection) lets them drive the server; each command is answered {@code ok} once done:
 * <ul>
 * <li>{@code restart}: stops it and starts it again on the same port with the same data (sessions survive);</li>
 * <li>{@code stop}: stops it (an outage: its port refuses connections);</li>
 * <li>{@code start}: starts a stopped server again on the same port with the same data (a server that comes back
 * with its data renews every session it knows, however long it was down);</li>
 * <li>{@code cut}: a network partition between the container and a running server: the container reaches
 * ZooKeeper only through {@link #proxyPort() a forwarding port}, whose connections this closes, refusing new ones
 * until {@code mend}. The server expires the container's session once it has not heard from it for the session
 * timeout, and removes the nodes it published;</li>
 * <li>{@code mend}: forwards again; the container's client is told its session expired when it reconnects.</li>
 * </ul>
 */
final class EmbeddedZooKeeper {
    private static Path data;
    private static int port;
    private static ServerCnxnFactory factory;
    private static ServerSocket control;
    private static ServerSocket proxy;
    /** Connections forwarded now (both sockets of each); closed by {@code cut}. */
    private static final java.util.List<Socket> forwarded = new java.util.ArrayList<>();
    private static boolean partitioned;

    private EmbeddedZooKeeper() {
    }

    /**
     * The ports for the container: {@code zooKeeper} to reach the server directly (the test's own client),
     * {@code proxy} to reach it through the forwarding port that {@code cut} partitions (the container's discovery),
     * {@code control} for the commands.
     */
    record Ports(int zooKeeper, int proxy, int control) {
    }

    /** Starts the server (and its control port) once per driver JVM and returns the ports. */
    static synchronized Ports start(File target) {
        if (control != null) {
            return new Ports(port, proxy.getLocalPort(), control.getLocalPort());
        }
        try {
            data = Files.createTempDirectory(target.toPath(), "zookeeper");
            serve(0);
            control = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
            proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            daemon(EmbeddedZooKeeper::control, "zookeeper-control");
            daemon(EmbeddedZooKeeper::forward, "zookeeper-proxy");
            Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedZooKeeper::stop, "zookeeper-shutdown"));
            return new Ports(port, proxy.getLocalPort(), control.getLocalPort());
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

    private static synchronized void stopServer() {
        if (factory != null) {
            factory.shutdown();
            factory = null;
        }
    }

    private static synchronized void startServer() throws IOException {
        if (factory != null) {
            throw new IOException("ZooKeeper is running; stop it first");
        }
        serve(port);
    }

    private static void daemon(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    /** Accepts on the proxy port until the JVM ends: forwards to the server, or closes at once while partitioned. */
    private static void forward() {
        while (!proxy.isClosed()) {
            try {
                Socket in = proxy.accept();
                synchronized (EmbeddedZooKeeper.class) {
                    if (partitioned) {
                        in.close();
                        continue;
                    }
                    Socket out;
                    try {
                        out = new Socket(InetAddress.getLoopbackAddress(), port);
                    } catch (IOException serverDown) {
                        in.close();
                        continue;
                    }
                    forwarded.add(in);
                    forwarded.add(out);
                    daemon(() -> pump(in, out), "zookeeper-proxy-up");
                    daemon(() -> pump(out, in), "zookeeper-proxy-down");
                }
            } catch (IOException e) {
                if (!proxy.isClosed()) {
                    System.err.println("The test's ZooKeeper proxy failed to accept: " + e);
                }
            }
        }
    }

    /** Copies one direction until either side closes, then closes both. */
    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException closed) {
            // cut, or one side went away: the pair ends
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            synchronized (EmbeddedZooKeeper.class) {
                forwarded.remove(from);
                forwarded.remove(to);
            }
        }
    }

    private static synchronized void cut() {
        partitioned = true;
        new java.util.ArrayList<>(forwarded).forEach(EmbeddedZooKeeper::closeQuietly);
        forwarded.clear();
    }

    private static synchronized void mend() {
        partitioned = false;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a forwarded connection
        }
    }

    /** Serves the control port until the JVM ends (the shutdown hook closes it). */
    private static void control() {
        while (!control.isClosed()) {
            try (Socket s = control.accept();
                 BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                 Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.US_ASCII)) {
                String command = in.readLine();
                switch (String.valueOf(command)) {
                    case "restart" -> restart();
                    case "stop" -> stopServer();
                    case "start" -> startServer();
                    case "cut" -> cut();
                    case "mend" -> mend();
                    default -> command = null;
                }
                out.write(command == null ? "unknown command\n" : "ok\n");
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
            proxy.close();
        } catch (IOException ignored) {
            // closing at JVM exit
        }
        cut();
        stopServer();
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
