package dev.halibut.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@code redis-server} (Debian's package) of the benchmark's own, on a free loopback port without
 * persistence; killed on close and by a shutdown hook.
 */
final class RedisProcess implements AutoCloseable {

    private final int port;
    private final Process process;
    private final Thread hook;

    RedisProcess() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--save", "",
                "--appendonly", "no", "--bind", "127.0.0.1")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        hook = new Thread(process::destroyForcibly, "redis-server-killer");
        Runtime.getRuntime().addShutdownHook(hook);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"+PONG".equals(command("PING"))) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                close();
                throw new IOException("redis-server on port " + port + " did not start (is Debian's redis-server installed?)");
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    URI uri() {
        return URI.create("redis://127.0.0.1:" + port);
    }

    /** One inline command; its first reply line, or null if Redis does not answer. */
    String command(String inline) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write((inline + "\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder line = new StringBuilder();
            for (int c; (c = s.getInputStream().read()) >= 0 && c != '\r'; ) {
                line.append((char) c);
            }
            return line.toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** Redis's {@code used_memory}, in bytes. */
    long usedMemory() throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("INFO memory\r\n".getBytes(StandardCharsets.US_ASCII));
            String header = readLine(s);
            int length = Integer.parseInt(header.substring(1));
            byte[] body = s.getInputStream().readNBytes(length);
            for (String l : new String(body, StandardCharsets.US_ASCII).split("\r\n")) {
                if (l.startsWith("used_memory:")) {
                    return Long.parseLong(l.substring("used_memory:".length()));
                }
            }
            throw new IOException("no used_memory in INFO memory");
        }
    }

    private static String readLine(Socket s) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = s.getInputStream().read()) >= 0 && c != '\n'; ) {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
