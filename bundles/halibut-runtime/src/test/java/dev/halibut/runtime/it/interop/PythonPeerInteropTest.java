package dev.halibut.runtime.it.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.halibut.DataStream;
import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.ServiceInvocationException;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.ExportDescription;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import dev.halibut.runtime.it.Await;
import dev.halibut.runtime.it.TestIdentities;
import dev.halibut.runtime.it.ThreadLeaks;
import dev.halibut.runtime.it.interop.InteropService.Color;
import dev.halibut.runtime.it.interop.InteropService.Item;
import dev.halibut.runtime.it.interop.InteropService.Mixed;
import dev.halibut.runtime.it.interop.RecordingInteropService.Call;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer written in another language from docs/protocol.md alone (src/test/python/halibut_peer.py, Python 3
 * standard library only) talks to the Java runtime in both roles, so the document is shown to be exact
 * enough to implement the protocol: TLS with a client certificate made by openssl (RSA for the caller, EC
 * P-256 for the service host) and thumbprint pinning,
 * identification (raw over TLS, and over a secure WebSocket: the HTTP upgrade and masked binary frames of
 * section 6), frames, NEXT/PROCEED reuse and END, every row of the value table of section 4, overloads by
 * {@code paramTypes}, strict binding, a declared exception, and the built-in {@code halibut.ping} and
 * {@code halibut.describe}. Each side asserts what it received: the peer checks every result and exits
 * non-zero on any mismatch, and this test checks exactly which values the Java service was called with and
 * what the Java caller got back.
 *
 * <p>Needs {@code python3} and {@code openssl} on the PATH (.ci/run installs them when missing). Without them
 * the test fails; run with {@code -Dhalibut.interop.python=skip} to skip it deliberately.
 */
class PythonPeerInteropTest {

    /** Bound on one peer run; it takes about a second when things work. */
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(90);
    private static final Path PEER = Path.of("src", "test", "python", "halibut_peer.py");
    private static final URI SUBSCRIPTION = URI.create("poll://python-peer/");

    private static Path python;
    private static Path openssl;

    @TempDir
    Path dir;
    private final List<HalibutRuntime> runtimes = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final RecordingInteropService service = new RecordingInteropService();
    private final ItemStore store = new ItemStore();

    @BeforeAll
    static void findTools() {
        assumeFalse("skip".equals(System.getProperty("halibut.interop.python")),
                "skipped on request (-Dhalibut.interop.python=skip)");
        python = onPath("python3");
        openssl = onPath("openssl");
        assertThat(PEER).as("the Python peer, relative to the module directory").isRegularFile();
    }

    private static Path onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(p -> !p.isEmpty()).map(p -> Path.of(p, tool)).filter(Files::isExecutable).findFirst()
                .orElseGet(() -> fail(tool + " is not on the PATH: install it (on Debian: apt-get install " + tool
                        + "; .ci/run does this in CI), or skip this test with -Dhalibut.interop.python=skip"));
    }

    @AfterEach
    void close() throws InterruptedException {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        runtimes.forEach(HalibutRuntime::close);
        ThreadLeaks.assertNoHalibutThreads();
    }

    /**
     * How the peer reaches the Java listener: raw Halibut over TLS, or over a secure WebSocket on the same port
     * (protocol.md section 6, written by the peer from that section: upgrade, masked binary frames).
     */
    enum Route {
        TLS(null, RuntimeStatus.TLS), WSS("/halibut/python", RuntimeStatus.WSS);

        final String websocketPath;
        final String shownAs;

        Route(String websocketPath, String shownAs) {
            this.websocketPath = websocketPath;
            this.shownAs = shownAs;
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aPythonCallerGetsExactResultsFromAListeningJavaRuntime(Route route) throws Exception {
        PeerIdentity peer = peerIdentity(RSA_2048);
        HalibutRuntime java = track(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(InteropService.class, service)
                .service(ItemRepo.class, store)
                .trust(peer.thumbprint())
                .build());
        int port = java.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        Process p = startPeer("caller", port, java.thumbprint(), peer, route);
        p.getOutputStream().close();
        PeerRun run = await(p, "caller");

        assertThat(run.exitCode()).as("the peer's checks:\n" + run.output()).isZero();
        assertThat(run.output()).contains("0 failed").doesNotContain("FAIL");
        // The listener saw the route the peer took (halibut:connections shows it while a connection is open).
        assertThat(java.connectionLog("listen://127.0.0.1:" + port + "/")).as("the listener's connection log")
                .anySatisfy(e -> assertThat(e.message()).startsWith("Caller ")
                        .endsWith((route == Route.WSS ? " connected over wss" : " connected") + " (certificate "
                                + peer.thumbprint() + ")"));
        assertThat(service.calls).as("what the Java service was called with").containsExactly(
                Call.of("addInts", 40, 2),
                Call.of("addInts", 40, 2),
                Call.of("twiceLong", 1L << 40),
                Call.of("twiceLong", 3L),
                Call.of("half", 5.0),
                Call.of("negate", true),
                Call.of("greet", "Wörld ✓"),
                Call.of("reverse", "0001ff"),
                Call.of("next", Color.BLUE),
                Call.of("relabel", new Item("a", 1, List.of("x")), "b"),
                Call.of("doubled", List.of(1, 2, 3)),
                Call.of("counts", Map.of("a", 1L, "b", 2L)),
                Call.of("find", Optional.empty()),
                Call.of("find", Optional.of("k")),
                Call.of("plus", Instant.parse("2026-11-27T13:00:00.123456789Z"), Duration.parse("PT1M30.000000005S")),
                Call.of("nextDay", LocalDate.of(2026, 11, 27)),
                Call.of("kind(int)", 5),
                Call.of("kind(String)", "x"),
                Call.of("charge", 50),
                Call.of("charge", 500),
                // addInts(8.5, 1) was refused as bad-request: the service never ran with a truncated 8
                Call.of("addInts", 1, 1),
                // the refusals of section 4's table did not reach the service either
                Call.of("reverse", "0102"),
                Call.of("counts", Map.of("n", 5L)),
                Call.of("relabel", new Item("a", 0, List.of()), "c"),
                Call.of("plus", Instant.parse("2026-11-27T13:00:00.123456789Z"), Duration.parse("PT1M30.000000005S")),
                Call.of("plus", Instant.parse("2026-11-27T13:00:00Z"), Duration.ofMillis(500)),
                Call.of("plus", Instant.parse("2026-11-27T13:00:00.5Z"), Duration.ofMillis(500)),
                Call.of("plus", Instant.parse("2026-11-27T13:00:00Z"), Duration.ofSeconds(90)),
                Call.of("addInts", 20, 22),
                Call.of("echo", 8.5f, 'x', (short) -300, (byte) -7, UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                        OffsetDateTime.parse("2026-11-27T13:00:00+01:00"), LocalTime.of(13, 0, 5),
                        LocalDateTime.of(2026, 11, 27, 13, 0, 5), List.of(1, 2, 3), Set.of("a"),
                        BigInteger.TWO.pow(70), OptionalInt.of(4)),
                Call.of("echo", 0.1f, 'x', (short) -300, (byte) -7, UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                        OffsetDateTime.parse("2026-11-27T13:00:00+01:00"), LocalTime.of(13, 0, 5),
                        LocalDateTime.of(2026, 11, 27, 13, 0, 5), List.of(), Set.of(), BigInteger.valueOf(5),
                        OptionalInt.empty()),
                // the refused echo calls did not reach the service
                Call.of("upper", 70_000),
                Call.of("upper", 0));
        assertThat(store.items).as("what ItemRepo.save received").containsExactly(new Item("saved", 7, List.of()));
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aJavaCallerGetsExactResultsAndTheDeclaredExceptionFromAPythonPollingServiceHost(Route route) throws Exception {
        PeerIdentity peer = peerIdentity(EC_P256);
        HalibutRuntime java = track(HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .trust(peer.thumbprint())
                .build());
        int port = java.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Process p = startPeer("subscriber", port, java.thumbprint(), peer, route);
        ServiceEndPoint python = new ServiceEndPoint(SUBSCRIPTION, peer.thumbprint());
        InteropService remote = java.createClient(InteropService.class, python);
        ItemRepo repo = java.createClient(ItemRepo.class, python);

        assertThat(remote.addInts(40, 2)).isEqualTo(42);
        assertThat(java.status().inbound()).as("the Python subscriber's connection, on the route it took")
                .singleElement().satisfies(i -> {
                    assertThat(i.endpoint()).isEqualTo(SUBSCRIPTION.toString());
                    assertThat(i.route()).isEqualTo(route.shownAs);
                });
        assertThat(remote.twiceLong(1L << 40)).isEqualTo(1L << 41);
        assertThat(remote.twiceLong(3)).isEqualTo(6L);
        assertThat(remote.half(5.0)).isEqualTo(2.5);
        assertThat(remote.negate(true)).isFalse();
        assertThat(remote.greet("Wörld ✓")).isEqualTo("Hello, Wörld ✓");
        assertThat(remote.reverse(new byte[] {0, 1, (byte) 0xff})).containsExactly((byte) 0xff, 1, 0);
        assertThat(remote.next(Color.BLUE)).isEqualTo(Color.RED);
        assertThat(remote.relabel(new Item("a", 1, List.of("x")), "b")).isEqualTo(new Item("b", 2, List.of("x", "b")));
        assertThat(remote.doubled(List.of(1, 2, 3))).containsExactly(2, 4, 6);
        assertThat(remote.counts(Map.of("a", 1L, "b", 2L))).isEqualTo(Map.of("a", 2L, "b", 3L, "total", 3L));
        assertThat(remote.find(Optional.empty())).isEmpty();
        assertThat(remote.find(Optional.of("k"))).contains("found k");
        assertThat(remote.plus(Instant.parse("2026-11-27T13:00:00.123456789Z"), Duration.parse("PT1M30.000000005S")))
                .isEqualTo(Instant.parse("2026-11-27T13:01:30.123456794Z"));
        assertThat(remote.nextDay(LocalDate.of(2026, 11, 27))).isEqualTo(LocalDate.of(2026, 11, 28));
        assertThat(remote.kind(5)).isEqualTo("int:5");
        assertThat(remote.kind("x")).isEqualTo("string:x");
        assertThat(remote.charge(50)).isEqualTo(50);
        assertThatThrownBy(() -> remote.charge(500)).as("the declared exception, re-created")
                .isExactlyInstanceOf(PaymentDeclinedException.class).hasMessage("declined: 500");

        assertThatThrownBy(() -> remote.charge(1000)).as("an exception type the contract does not declare")
                .isExactlyInstanceOf(ServiceInvocationException.class)
                .satisfies(e -> {
                    ServiceInvocationException remoteFailure = (ServiceInvocationException) e;
                    assertThat(remoteFailure.getRemoteType()).isEqualTo("ValueError");
                    assertThat(remoteFailure.getRemoteMessage()).isEqualTo("amount too large: 1000");
                });
        assertThatThrownBy(() -> remote.addInts(Integer.MAX_VALUE, 1))
                .as("a result that does not fit int (Python does not overflow) is refused, not wrapped")
                .isInstanceOf(HalibutClientException.class).isNotInstanceOf(ServiceInvocationException.class);
        assertThatThrownBy(() -> remote.greet(null)).as("the Python service answers bad-request")
                .isInstanceOf(HalibutClientException.class).isNotInstanceOf(ServiceInvocationException.class)
                .hasMessageContaining("expected string, got None");

        Mixed mixed = new Mixed(8.5f, 'x', (short) -300, (byte) -7, UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                OffsetDateTime.parse("2026-11-27T13:00:00+01:00"), LocalTime.of(13, 0, 5),
                LocalDateTime.of(2026, 11, 27, 13, 0, 5), new int[] {1, 2, 3}, Set.of("a"), BigInteger.TWO.pow(70),
                OptionalInt.of(4));
        assertThat(remote.echo(mixed)).usingRecursiveComparison().isEqualTo(mixed);
        Mixed small = new Mixed(0.1f, 'y', (short) 0, Byte.MIN_VALUE, new UUID(0, 0),
                OffsetDateTime.parse("2026-11-27T13:00:00.5-05:30"), LocalTime.MIDNIGHT, LocalDateTime.of(2026, 1, 1, 0, 0),
                new int[0], Set.of(), BigInteger.valueOf(-5), OptionalInt.empty());
        assertThat(remote.echo(small)).usingRecursiveComparison().isEqualTo(small);
        byte[] text = new byte[70_000];
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) ('a' + i % 26);
        }
        byte[] upper = remote.upper(DataStream.fromBytes(text)).readAllBytes();
        assertThat(new String(upper, StandardCharsets.US_ASCII))
                .isEqualTo(new String(text, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT));
        assertThat(remote.upper(DataStream.fromBytes(new byte[0])).readAllBytes()).isEmpty();

        repo.save(new Item("saved", 7, List.of()));
        assertThat(repo.first()).isEqualTo(new Item("saved", 7, List.of()));
        assertThat(repo.all()).containsExactly(new Item("saved", 7, List.of()));

        assertThat(java.ping(python).roundTrip()).isPositive();
        List<ExportDescription> described = java.describe(python);
        assertThat(described).extracting(ExportDescription::interfaces).containsExactly(
                List.of(InteropService.class.getName()), List.of(ItemRepo.class.getName()));
        assertThat(described).allSatisfy(d -> {
            assertThat(d.properties()).containsEntry(ExportDescription.ENDPOINT_ID, d.endpointId())
                    .containsEntry("peer.language", "python");
            assertThat(d.properties().get(ExportDescription.ENDPOINT_SERVICE_ID)).isInstanceOf(Long.class);
        });

        // The listener's runtime closes: it ends the subscriber's connection with END (protocol.md, frame table).
        java.close();
        Path transcript = dir.resolve("subscriber.out");
        try {
            Await.until("the Python subscriber to read the listener's END", PEER_TIMEOUT,
                    () -> readQuietly(transcript).contains("END from the listener"));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the subscriber's transcript:\n" + readQuietly(transcript), e);
        }

        p.getOutputStream().close();
        PeerRun run = await(p, "subscriber");
        assertThat(run.exitCode()).as("the peer's checks:\n" + run.output()).isZero();
        assertThat(run.output()).doesNotContain("FAIL")
                .as("the listener's keep-alive settings, from its identification answer (section 2)")
                .contains("listener keep-alive 30000 ms, heartbeat timeout 10000 ms");
    }

    private HalibutRuntime track(HalibutRuntime runtime) {
        runtimes.add(runtime);
        return runtime;
    }

    private record PeerIdentity(Path certificate, Path key, String thumbprint) {
    }

    /** The key types protocol.md (section 1) says a peer's certificate may have, as openssl options. */
    private static final List<String> EC_P256 = List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
    private static final List<String> RSA_2048 = List.of("-newkey", "rsa:2048");

    /** A self-signed certificate for the peer, made by openssl as a peer's author would, with its thumbprint. */
    private PeerIdentity peerIdentity(List<String> keyType) throws IOException, InterruptedException, CertificateException {
        Path cert = dir.resolve("peer.crt");
        Path key = dir.resolve("peer.key");
        List<String> command = new ArrayList<>(List.of(openssl.toString(), "req", "-x509"));
        command.addAll(keyType);
        command.addAll(List.of("-nodes", "-days", "2", "-subj", "/CN=python-peer",
                "-keyout", key.toString(), "-out", cert.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.out").toFile()).start();
        processes.add(p);
        boolean ended = p.waitFor(PEER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        String output = Files.readString(dir.resolve("openssl.out"));
        assertThat(ended && p.exitValue() == 0).as(String.join(" ", command) + "\n" + output).isTrue();
        try (InputStream in = Files.newInputStream(cert)) {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return new PeerIdentity(cert, key, Certificates.thumbprint(certificate));
        }
    }

    private Process startPeer(String role, int port, String javaThumbprint, PeerIdentity peer, Route route)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(python.toString(), PEER.toString(), role,
                "--host", InetAddress.getLoopbackAddress().getHostAddress(), "--port", Integer.toString(port),
                "--thumbprint", javaThumbprint, "--cert", peer.certificate().toString(),
                "--key", peer.key().toString(), "--subscription", SUBSCRIPTION.toString()));
        if (route.websocketPath != null) {
            command.addAll(List.of("--websocket-path", route.websocketPath));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(role + ".out").toFile()).start();
        processes.add(p);
        return p;
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private record PeerRun(int exitCode, String output) {
    }

    private PeerRun await(Process p, String role) throws IOException, InterruptedException {
        boolean ended = p.waitFor(PEER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        String output = Files.readString(dir.resolve(role + ".out"), StandardCharsets.UTF_8);
        if (!ended) {
            fail("the Python " + role + " did not end within " + PEER_TIMEOUT + ":\n" + output);
        }
        // Kept in the test's report, so a passing run shows which checks the peer made.
        System.out.println("--- the Python " + role + "'s transcript:\n" + output);
        return new PeerRun(p.exitValue(), output);
    }
}
