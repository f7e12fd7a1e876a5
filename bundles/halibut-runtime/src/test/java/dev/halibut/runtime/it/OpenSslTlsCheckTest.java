package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The listener's TLS rules (docs/protocol.md, section 1) checked with a client no one here wrote:
 * Debian's {@code openssl s_client}, run as a subprocess against a listening runtime on loopback.
 *
 * <p>Each refusal is shown to come from our server, not from openssl: the client's output shows that it
 * sent its ClientHello and received the server's alert, and the listener logs why it failed the
 * handshake. Accepted connections prove themselves by the server's identification answer.
 */
class OpenSslTlsCheckTest {

    /** Bound on each openssl run; it ends in well under a second when things work. */
    private static final Duration OPENSSL_TIMEOUT = Duration.ofSeconds(30);
    /** What a caller sends after the handshake (section 2), then an END frame (section 3). */
    private static final byte[] CLIENT_IDENTIFICATION_THEN_END =
            "HALIBUT-CLIENT 1\r\n\r\n\u0012\u0000\u0000\u0000\u0000".getBytes(StandardCharsets.ISO_8859_1);

    private static Path openssl;

    @TempDir
    Path dir;
    private HalibutRuntime listener;
    private String connect;
    private LogCapture log;
    private long socketsBefore;

    @BeforeAll
    static void findOpenssl() {
        Optional<Path> found = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(p -> !p.isEmpty()).map(p -> Path.of(p, "openssl")).filter(Files::isExecutable).findFirst();
        assumeTrue(found.isPresent(), "openssl is not installed (on Debian: apt-get install openssl; .ci/run does"
                + " this in CI): skipping the TLS checks against openssl s_client");
        openssl = found.get();
    }

    @BeforeEach
    void listen() {
        socketsBefore = SocketLeaks.openSockets();
        listener = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, new CalculatorService())
                .trust(Certificates.thumbprint(TestIdentities.OCTOPUS.certificate()))
                .build();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        int port = listener.listen(new InetSocketAddress(loopback, 0));
        connect = (loopback instanceof Inet6Address ? "[" + loopback.getHostAddress() + "]" : loopback.getHostAddress())
                + ":" + port;
        log = LogCapture.start();
    }

    @AfterEach
    void close() throws InterruptedException {
        log.close();
        listener.close();
        ThreadLeaks.assertNoHalibutThreads();
        SocketLeaks.assertBackTo(socketsBefore, Duration.ofSeconds(10));
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(p -> p.info().command().orElse("?")))
                .as("openssl processes left running").noneMatch(c -> c.endsWith("openssl"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-tls1", "-tls1_1"})
    void tls10And11AreRefusedByTheServer(String version) throws Exception {
        // OpenSSL 3 offers neither at its default security level; level 0 makes it send the ClientHello,
        // so the refusal below is the listener's. It holds a trusted certificate, to show nothing else is at fault.
        Run run = sClient(List.of(version, "-cipher", "DEFAULT:@SECLEVEL=0"), TestIdentities.OCTOPUS);

        assertThat(run.exitCode()).as(run.describe()).isNotZero();
        assertThat(run.bytesWritten()).as("openssl sent its ClientHello: " + run.describe()).isPositive();
        assertThat(run.stderr()).as(run.describe()).contains("alert protocol version").contains("SSL alert number 70");
        assertThat(run.stdout()).doesNotContain("HALIBUT-SERVER");
        String offered = version.equals("-tls1") ? "TLSv1" : "TLSv1.1";
        assertThat(log.await(Duration.ofSeconds(10), "TLS handshake failed")).as("the listener's reason")
                .contains("Client requested protocol " + offered + " is not enabled");
    }

    @Test
    void aClientWithoutCertificateIsRefused() throws Exception {
        Run run = sClient(List.of("-tls1_3"), null);

        // TLS 1.3: the client finishes its side first; the server's alert arrives after. JDK 17's engine sends
        // bad_certificate (42); newer JDKs (25) send certificate_required (116), the alert RFC 8446 4.4.2.4 names.
        assertThat(run.stderr()).as(run.describe()).satisfiesAnyOf(
                err -> assertThat(err).contains("alert bad certificate").contains("SSL alert number 42"),
                err -> assertThat(err).contains("alert certificate required").contains("SSL alert number 116"));
        assertThat(run.stdout()).doesNotContain("HALIBUT-SERVER");
        assertThat(run.exitCode()).as(run.describe()).isNotZero();
        assertThat(log.await(Duration.ofSeconds(10), "TLS handshake failed")).as("the listener's reason")
                .contains("Empty client certificate chain");
    }

    @Test
    void aClientWithAnUntrustedCertificateIsRefused() throws Exception {
        Run run = sClient(List.of("-tls1_3"), TestIdentities.STRANGER);

        // protocol.md: the listener rejects an untrusted certificate during the handshake with certificate_unknown.
        assertThat(run.stderr()).as(run.describe()).contains("alert certificate unknown").contains("SSL alert number 46");
        assertThat(run.stdout()).doesNotContain("HALIBUT-SERVER");
        assertThat(run.exitCode()).as(run.describe()).isNotZero();
        assertThat(log.await(Duration.ofSeconds(10), "TLS handshake failed")).as("the listener's reason")
                .contains(Certificates.thumbprint(TestIdentities.STRANGER.certificate()) + " (CN=stranger) is not trusted");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void aTrustedClientIsAcceptedAndAnsweredWithTheServersIdentification(String version) throws Exception {
        Run run = sClient(List.of(version), TestIdentities.OCTOPUS);

        assertThat(run.stdout()).as(run.describe()).contains("HALIBUT-SERVER 1\r\n\r\n")
                .containsPattern("Protocol\\s*:\\s*" + (version.equals("-tls1_3") ? "TLSv1\\.3" : "TLSv1\\.2"))
                .contains("subject=CN = tentacle");
        assertThat(run.output()).as(run.describe()).doesNotContain("alert");
        // openssl exits 1 even so: after END the listener closes the TCP connection without close_notify
        // (Connection.close), which OpenSSL 3 reports as "unexpected eof while reading".
    }

    // --- openssl ---

    /** One s_client run: what it printed to stdout (session details, the server's data) and to stderr. */
    private record Run(List<String> command, int exitCode, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }

        /** From s_client's "SSL handshake has read N bytes and written M bytes". */
        long bytesWritten() {
            Matcher m = Pattern.compile("SSL handshake has read \\d+ bytes and written (\\d+) bytes").matcher(stdout);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }

        String describe() {
            return String.join(" ", command) + " exited " + exitCode + "\n--- stdout:\n" + stdout
                    + "\n--- stderr:\n" + stderr;
        }
    }

    /**
     * Runs {@code openssl s_client} against the listener with {@code client}'s certificate (or none), sends
     * a caller's identification and END, and waits for it to end (the server closes after END, or after
     * refusing the handshake). Its configuration is empty, so no system-wide setting changes what it offers.
     */
    private Run sClient(List<String> options, CertificateAndKey client) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(openssl.toString(), "s_client", "-connect", connect,
                "-nocommands", "-ign_eof"));
        command.addAll(options);
        if (client != null) {
            command.addAll(List.of("-cert", pem(client).certificate().toString(), "-key", pem(client).key().toString()));
        }
        Path config = Files.writeString(dir.resolve("openssl.cnf"), "# empty: openssl's built-in defaults\n");

        String name = "s_client-" + System.nanoTime();
        Path stdout = dir.resolve(name + ".out");
        Path stderr = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().put("OPENSSL_CONF", config.toString());
        Process p = pb.start();
        try {
            try (OutputStream stdin = p.getOutputStream()) {
                stdin.write(CLIENT_IDENTIFICATION_THEN_END);
            } catch (IOException e) {
                // openssl may already have exited after a refused handshake; its output tells the rest
            }
            boolean ended = p.waitFor(OPENSSL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Run run = new Run(command, ended ? p.exitValue() : -1, Files.readString(stdout, StandardCharsets.ISO_8859_1),
                    Files.readString(stderr, StandardCharsets.ISO_8859_1));
            if (!ended) {
                throw new AssertionError("openssl did not end within " + OPENSSL_TIMEOUT + ": " + run.describe());
            }
            return run;
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private record PemFiles(Path certificate, Path key) {
    }

    /** The identity as PEM files for openssl: the certificate, and the key (PKCS#8) readable by us only. */
    private PemFiles pem(CertificateAndKey identity) throws IOException {
        String name = identity.certificate().getSubjectX500Principal().getName().replaceAll("\\W", "_");
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        if (!Files.exists(key)) {
            Files.writeString(cert, pem("CERTIFICATE", encoded(identity)));
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            assertThat(identity.privateKey().getFormat()).isEqualTo("PKCS#8");
            Files.writeString(key, pem("PRIVATE KEY", identity.privateKey().getEncoded()));
        }
        return new PemFiles(cert, key);
    }

    private static byte[] encoded(CertificateAndKey identity) {
        try {
            return identity.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
