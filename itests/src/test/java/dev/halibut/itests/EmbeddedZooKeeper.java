package dev.halibut.itests;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 */
final class EmbeddedZooKeeper {
    private static ServerCnxnFactory factory;

    private EmbeddedZooKeeper() {
    }

    /** Starts the server once per driver JVM and returns its port. */
    static synchronized int start(File target) {
        if (factory != null) {
            return factory.getLocalPort();
        }
        try {
            Path data = Files.createTempDirectory(target.toPath(), "zookeeper");
            ZooKeeperServer server = new ZooKeeperServer(data.toFile(), data.toFile(), 500);
            ServerCnxnFactory cnxns = ServerCnxnFactory.createFactory(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            cnxns.startup(server);
            factory = cnxns;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cnxns.shutdown();
                delete(data);
            }, "zookeeper-shutdown"));
            return cnxns.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("The test's ZooKeeper server did not start", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting the test's ZooKeeper server", e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover directory under target is harmless
        }
    }
}
