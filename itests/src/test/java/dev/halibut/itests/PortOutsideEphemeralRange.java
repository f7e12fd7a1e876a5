package dev.halibut.itests;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks TCP ports for a server that must be told its port in advance (Karaf's RMI registry and RMI server take
 * theirs from {@code etc/org.apache.karaf.management.cfg}; port 0 does not work there: the registry's port is also
 * written into the connector's JNDI service URL, and Karaf first looks a registry up at the configured port, which
 * for 0 is the JDK's default 1099).
 *
 * <p>Why outside the kernel's ephemeral range: a port found free by binding port 0 and closing it lies inside that
 * range, and until the container binds it, anything binding port 0 (the container's own Halibut listener, its SSH
 * server, the build's other JVMs) may be handed the same number. The kernel never hands out a port outside the
 * range for a port-0 bind or an outgoing connection, so a port picked here can only be taken by a process that asks
 * for that very number; picking it at random among some ten thousand makes that as unlikely as two concurrent
 * builds choosing the same one, and a port bound at the moment of picking is skipped.
 */
final class PortOutsideEphemeralRange {

    /** Linux's range for port-0 binds and outgoing connections ("low high"). */
    private static final Path LINUX_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** IANA's dynamic range, the ephemeral range of macOS and Windows, where Linux's file does not exist. */
    private static final int[] IANA_RANGE = {49152, 65535};
    /** Below this sit the well-known ports and the registered ports local services most often use. */
    private static final int LOWEST = 10000;
    private static final int ATTEMPTS = 200;

    private PortOutsideEphemeralRange() {
    }

    /**
     * {@code count} distinct ports, none inside the ephemeral range and none bound on {@code address} when picked.
     *
     * @throws IllegalStateException if the ephemeral range leaves too few ports, or none are free
     */
    static int[] pick(int count, InetAddress address) {
        int[] ephemeral = ephemeralRange();
        int below = Math.max(0, ephemeral[0] - LOWEST);
        int above = Math.max(0, 65535 - ephemeral[1]);
        if (below + above < 1000) {
            throw new IllegalStateException("The ephemeral port range " + ephemeral[0] + "-" + ephemeral[1]
                    + " leaves fewer than 1000 ports between " + LOWEST + " and 65535 outside it; narrow "
                    + LINUX_RANGE + " so that fixed ports can be picked without racing port-0 binds");
        }
        Set<Integer> picked = new HashSet<>();
        int[] ports = new int[count];
        for (int attempt = 0; attempt < ATTEMPTS && picked.size() < count; attempt++) {
            int n = ThreadLocalRandom.current().nextInt(below + above);
            int port = n < below ? LOWEST + n : ephemeral[1] + 1 + (n - below);
            if (!picked.contains(port) && isFree(port, address)) {
                ports[picked.size()] = port;
                picked.add(port);
            }
        }
        if (picked.size() < count) {
            throw new IllegalStateException("No " + count + " free ports on " + address + " outside the ephemeral range "
                    + ephemeral[0] + "-" + ephemeral[1] + " after " + ATTEMPTS + " random picks: is something binding"
                    + " ports in bulk?");
        }
        return ports;
    }

    private static int[] ephemeralRange() {
        if (!Files.isReadable(LINUX_RANGE)) {
            return IANA_RANGE;
        }
        // One line read through a reader: Files.readString trusts the file's size, which procfs reports as 0, and
        // was seen to return only the first byte.
        try (BufferedReader reader = Files.newBufferedReader(LINUX_RANGE, StandardCharsets.US_ASCII)) {
            String[] bounds = String.valueOf(reader.readLine()).strip().split("\\s+");
            return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot read the ephemeral port range from " + LINUX_RANGE
                    + " (expected two numbers, \"low high\")", e);
        }
    }

    private static boolean isFree(int port, InetAddress address) {
        try (ServerSocket socket = new ServerSocket(port, 1, address)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
