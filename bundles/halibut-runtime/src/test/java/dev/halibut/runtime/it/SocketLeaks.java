package dev.halibut.runtime.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Counts this JVM's open sockets through {@code /proc/self/fd} (Linux), so a test can check that what it
 * opened is closed again. Where {@code /proc} is missing (not Linux) the check is skipped, not faked.
 */
public final class SocketLeaks {
    private static final Path FDS = Path.of("/proc/self/fd");

    private SocketLeaks() {
    }

    /** Whether this platform lets the check run. */
    public static boolean supported() {
        return Files.isDirectory(FDS);
    }

    /**
     * Open TCP socket descriptors of this JVM now, or -1 where that cannot be seen. Unix-domain sockets are
     * left out: the JDK opens some of its own at times.
     */
    public static long openSockets() {
        if (!supported()) {
            return -1;
        }
        java.util.Set<String> tcp = tcpInodes();
        try (Stream<Path> fds = Files.list(FDS)) {
            return fds.map(SocketLeaks::socketInode).filter(tcp::contains).count();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot list " + FDS, e);
        }
    }

    private static java.util.Set<String> tcpInodes() {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            try {
                List<String> rows = Files.readAllLines(Path.of("/proc/self/net", table));
                for (String row : rows.subList(1, rows.size())) {
                    inodes.add(row.trim().split("\\s+")[9]);
                }
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read /proc/self/net/" + table, e);
            }
        }
        inodes.remove("0"); // TIME_WAIT and the like: no descriptor holds them
        return inodes;
    }

    /** The inode of a socket descriptor, or "" for anything else. */
    private static String socketInode(Path fd) {
        try {
            String link = Files.readSymbolicLink(fd).toString();
            return link.startsWith("socket:[") ? link.substring(8, link.length() - 1) : "";
        } catch (IOException e) {
            return ""; // closed between listing and reading: not open any more
        }
    }

    private static boolean isSocket(Path fd) {
        return !socketInode(fd).isEmpty();
    }

    /** The open sockets as "tcp local -> remote (state)" where /proc/net knows them, for failure messages. */
    public static List<String> describeOpen() {
        java.util.Map<String, String> byInode = new java.util.HashMap<>();
        for (String table : List.of("tcp", "tcp6", "unix")) {
            try {
                List<String> rows = Files.readAllLines(Path.of("/proc/self/net", table));
                for (String row : rows.subList(1, rows.size())) {
                    String[] f = row.trim().split("\\s+");
                    if (table.equals("unix")) {
                        byInode.put(f[6], "unix " + (f.length > 7 ? f[7] : "(unnamed)"));
                    } else {
                        byInode.put(f[9], table + " " + address(f[1]) + " -> " + address(f[2]) + " state " + f[3]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not readable here: the inode alone will do
            }
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> fds = Files.list(FDS)) {
            for (Path fd : fds.filter(SocketLeaks::isSocket).toList()) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    String inode = link.substring("socket:[".length(), link.length() - 1);
                    out.add(byInode.getOrDefault(inode, link));
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            out.add("(cannot list " + FDS + ")");
        }
        return out;
    }

    private static String address(String hex) {
        String[] p = hex.split(":");
        return (p[0].length() == 8 ? Long.parseLong(p[0], 16) == 0x0100007FL ? "127.0.0.1" : p[0] : p[0]) + ":"
                + Integer.parseInt(p[1], 16);
    }

    /** Waits (bounded) until no more sockets are open than {@code baseline}; fails naming both counts. */
    public static void assertBackTo(long baseline, Duration timeout) {
        if (baseline < 0) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long now;
        while ((now = openSockets()) > baseline) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(now + " sockets are open, " + baseline + " were before the test: "
                        + (now - baseline) + " leaked. Open now: " + describeOpen());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
    }
}
