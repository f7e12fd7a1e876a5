package dev.halibut.queue.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
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
 * plain or TLS-only ({@link #tls}: certificates made with {@code openssl} in a temporary directory),
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
    /** For a TLS server: its certificate's subject alternative names; null for a plain server. */
    private final List<String> subjectAltNames;
    private final boolean clientCertificatesRequired;
    private TestCertificates certificates;
    private SSLSocketFactory tlsClientSockets;
    private int port;
    private Path log;
    private Process process;

    private RedisServer(List<String> extraArgs, boolean emptiedBeforeEachTest, List<String> subjectAltNames,
                        boolean clientCertificatesRequired) {
        this.extraArgs = List.copyOf(extraArgs);
        this.emptiedBeforeEachTest = emptiedBeforeEachTest;
        this.subjectAltNames = subjectAltNames == null ? null : List.copyOf(subjectAltNames);
        this.clientCertificatesRequired = clientCertificatesRequired;
    }

    private RedisServer(List<String> extraArgs, boolean emptiedBeforeEachTest) {
        this(extraArgs, emptiedBeforeEachTest, null, false);
    }

    /**
     * A TLS-only server for one test class, emptied before each test: a fresh CA of its own issues its
     * certificate for {@code subjectAltNames} (openssl syntax, e.g. {@code IP:127.0.0.1}, {@code DNS:localhost}),
     * and with {@code clientCertificatesRequired} it accepts only clients presenting a certificate of that CA
     * ({@link #clientKeyStore()}).
     */
    static RedisServer tls(boolean clientCertificatesRequired, String... subjectAltNames) {
        return new RedisServer(List.of(), true, List.of(subjectAltNames), clientCertificatesRequired);
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
        if (subjectAltNames != null) {
            certificates = TestCertificates.create(subjectAltNames);
            tlsClientSockets = certificates.clientSocketFactory();
        }
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

    /** {@code redis://127.0.0.1:port}, or {@code rediss://} for a TLS server. */
    URI uri() {
        return uri("127.0.0.1");
    }

    /** The server's URI naming it by {@code host} (which must reach loopback). */
    URI uri(String host) {
        return URI.create((certificates == null ? "redis://" : "rediss://") + host + ":" + port);
    }

    /** A TLS server's CA certificate (PEM), the one that issued its certificate and its clients'. */
    Path caFile() {
        return tlsFiles().caFile();
    }

    /** A PKCS#12 key store with a client certificate issued by the TLS server's CA, password {@link #keyStorePassword()}. */
    Path clientKeyStore() {
        return tlsFiles().clientKeyStore();
    }

    String keyStorePassword() {
        return tlsFiles().keyStorePassword();
    }

    private TestCertificates tlsFiles() {
        if (certificates == null) {
            throw new IllegalStateException("redis-server on port " + port + " is not a started TLS server");
        }
        return certificates;
    }

    /** A client of the test's own (not the queue's), trusting the server's CA and presenting its client certificate. */
    Jedis client() {
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2);
        if (tlsClientSockets != null) {
            // no host name check: the test's own client reaches 127.0.0.1 whatever names the certificate holds
            config.ssl(true).sslSocketFactory(tlsClientSockets).sslParameters(new SSLParameters());
        }
        return new Jedis(new HostAndPort("127.0.0.1", port), config.build());
    }

    /** Starts the server (again) on its port and waits until it answers PING. */
    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is running already");
        }
        List<String> command = new java.util.ArrayList<>(List.of("redis-server", "--save", "",
                "--appendonly", "no", "--bind", "127.0.0.1", "--protected-mode", "no"));
        if (certificates == null) {
            command.addAll(List.of("--port", Integer.toString(port)));
        } else {
            command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port),
                    "--tls-cert-file", certificates.serverCertificate().toString(),
                    "--tls-key-file", certificates.serverKey().toString(),
                    "--tls-ca-cert-file", certificates.caFile().toString(),
                    "--tls-auth-clients", clientCertificatesRequired ? "yes" : "no"));
        }
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
                    throw new IOException("redis-server on port " + port + " did not answer PING within 20 s; see " + log
                            + ":\n" + Files.readString(log), notYet);
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
        if (certificates != null) {
            certificates.close();
        }
    }
}
