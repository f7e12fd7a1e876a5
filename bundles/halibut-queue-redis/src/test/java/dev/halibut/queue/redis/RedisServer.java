package dev.halibut.queue.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;

/**
 * A real {@code redis-server} process on a free loopback port, for tests: started without persistence,
 * ready once it answers PING, and killed by {@link #close()} (and by a shutdown hook, so a test JVM that
 * dies leaves no server behind). {@link #kill()} and {@link #start()} restart it on the same port.
 *
 * <p>A test class owns one as a JUnit extension in a static {@code @RegisterExtension} field: the server is
 * started before the class's first test and killed after its last, so every test class sets it up the same way.
 */
final class RedisServer implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback, AutoCloseable {

    private final Thread hook = new Thread(this::kill, "redis-server-killer");
    private final List<String> extraArgs;
    private final boolean emptiedBeforeEachTest;
    private int port;
    private Path log;
    private Process process;

    private RedisServer(List<String> extraArgs, boolean emptiedBeforeEachTest) {
        this.extraArgs = List.copyOf(extraArgs);
        this.emptiedBeforeEachTest = emptiedBeforeEachTest;
    }

    /** A server for one test class whose data is removed (FLUSHALL) before each test, so no test sees another's. */
    static RedisServer emptiedBeforeEachTest() {
        return new RedisServer(List.of(), true);
    }

    /** A server for one test class, with extra {@code redis-server} arguments, e.g. {@code --requirepass secret}. */
    static RedisServer forTestClass(String... extraArgs) {
        return new RedisServer(List.of(extraArgs), false);
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) throws IOException {
        if (log != null) {
            throw new IllegalStateException("redis-server on port " + port + " belongs to one test class; register a new one");
        }
        port = freePort();
        log = Files.createTempFile("redis-server-" + port, ".log");
        Runtime.getRuntime().addShutdownHook(hook);
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (emptiedBeforeEachTest) {
            try (Jedis j = client()) {
                j.flushAll();
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    URI uri() {
        return URI.create("redis://127.0.0.1:" + port);
    }

    Jedis client() {
        return new Jedis(new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).build());
    }

    /** Starts the server (again) on its port and waits until it answers PING. */
    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is running already");
        }
        List<String> command = new java.util.ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--save", "",
                "--appendonly", "no", "--bind", "127.0.0.1", "--protected-mode", "no"));
        command.addAll(extraArgs);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Jedis j = client()) {
                if ("PONG".equals(j.ping())) {
                    return;
                }
            } catch (redis.clients.jedis.exceptions.JedisDataException answered) {
                return; // it answers (asking for a password): it is up
            } catch (RuntimeException notYet) {
                if (!process.isAlive()) {
                    throw new IOException("redis-server on port " + port + " exited with " + process.exitValue()
                            + "; see " + log + ":\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("redis-server on port " + port + " did not answer PING within 20 s; see " + log);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // poll interval of the readiness wait
            }
        }
    }

    /** Freezes the server (SIGSTOP): it accepts connections but answers nothing until {@link #resume()}. */
    synchronized void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    synchronized void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill " + signal + " " + process.pid() + " failed");
        }
    }

    /** Kills the server at once (SIGKILL) and waits until it is gone; all its data is lost. */
    synchronized void kill() {
        if (process != null) {
            try {
                signal("-CONT"); // a frozen server would not die of SIGKILL any later, but be sure it is not left stopped
            } catch (IOException | InterruptedException | RuntimeException e) {
                // it is killed below anyway
            }
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized void close() {
        if (log == null) {
            return; // never started
        }
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // a temporary file
        }
    }
}
