package dev.halibut.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.naming.ldap.LdapName;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatesTest {

    private static final char[] PASSWORD = "correct horse".toCharArray();
    /** Bounds every blocking socket call, so a broken handshake fails the test instead of hanging it. */
    private static final int SOCKET_TIMEOUT_MS = 10_000;

    @TempDir
    Path dir;

    @Test
    void roundTripThroughPkcs12KeepsCertificateKeyAndThumbprint() throws Exception {
        Path file = dir.resolve("identity.p12");
        CertificateAndKey written = Certificates.generatePkcs12(file, "tentacle-01", PASSWORD);

        CertificateAndKey loaded = Certificates.loadPkcs12(file, PASSWORD);

        assertThat(loaded.certificate()).isEqualTo(written.certificate());
        assertThat(loaded.privateKey().getEncoded()).isEqualTo(written.privateKey().getEncoded());
        String sha1 = HexFormat.of().withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-1").digest(written.certificate().getEncoded()));
        assertThat(Certificates.thumbprint(loaded.certificate())).matches("[0-9A-F]{40}").isEqualTo(sha1);
    }

    @Test
    void certificateIsSelfSignedForTheCommonNameAndUsableForClientAndServer() throws Exception {
        // Characters that are special in distinguished names must survive as part of the CN.
        String commonName = "octopus, \"prod\" + eu=1";
        X509Certificate certificate = Certificates.generateSelfSigned(commonName).certificate();

        certificate.verify(certificate.getPublicKey());
        Instant now = Instant.now();
        assertThat(certificate.getNotBefore().toInstant()).isBetween(now.minus(Duration.ofHours(25)),
                now.minus(Duration.ofHours(23)));
        assertThat(certificate.getNotAfter().toInstant()).isAfter(now.plus(Duration.ofDays(365L * 99)));
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(certificate.getSubjectX500Principal());
        LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName());
        assertThat(subject.getRdns()).hasSize(1);
        assertThat(subject.getRdn(0).getType()).isEqualTo("CN");
        assertThat(subject.getRdn(0).getValue()).isEqualTo(commonName);
        assertThat(certificate.getVersion()).isEqualTo(3);
        assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(certificate.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(certificate.getSerialNumber().signum()).isPositive();
        assertThat(certificate.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        // digitalSignature (bit 0) and keyAgreement (bit 4) only.
        assertThat(certificate.getKeyUsage())
                .containsExactly(true, false, false, false, true, false, false, false, false);
        assertThat(certificate.getExtendedKeyUsage())
                .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"); // serverAuth, clientAuth
    }

    @Test
    void eachGeneratedCertificateHasItsOwnThumbprint() {
        String first = Certificates.thumbprint(Certificates.generateSelfSigned("same").certificate());
        String second = Certificates.thumbprint(Certificates.generateSelfSigned("same").certificate());
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void writeLeavesOnlyTheOwnerOnlyFileEvenWhenReplacingOne() throws Exception {
        Path file = dir.resolve("identity.p12");
        Certificates.generatePkcs12(file, "first", PASSWORD);
        CertificateAndKey second = Certificates.generatePkcs12(file, "second", PASSWORD);

        assertThat(filesIn(dir)).containsExactly(file);
        assertThat(Certificates.loadPkcs12(file, PASSWORD).certificate()).isEqualTo(second.certificate());
        if (Files.getFileStore(file).supportsFileAttributeView(PosixFileAttributeView.class)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
    }

    @Test
    void failedWriteRemovesItsTempFile() throws Exception {
        // A non-empty directory where the file should go: the temp file is written, the move fails.
        Path blocked = Files.createDirectory(dir.resolve("identity.p12"));
        Files.writeString(blocked.resolve("occupant"), "x");

        assertThatThrownBy(() -> Certificates.writePkcs12(blocked, PASSWORD, Certificates.generateSelfSigned("x")))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("identity.p12");
        assertThat(filesIn(dir)).containsExactly(blocked);
    }

    @Test
    void wrongPasswordIsReportedAsSuchNamingTheFile() {
        Path file = dir.resolve("identity.p12");
        Certificates.generatePkcs12(file, "x", PASSWORD);

        assertThatThrownBy(() -> Certificates.loadPkcs12(file, "wrong".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wrong password")
                .hasMessageContaining("identity.p12");
    }

    @Test
    void missingFileIsReportedNamingTheFile() {
        assertThatThrownBy(() -> Certificates.loadPkcs12(dir.resolve("missing.p12"), PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not exist")
                .hasMessageContaining("missing.p12");
    }

    @Test
    void fileThatIsNotPkcs12IsReportedNamingTheFile() throws Exception {
        byte[] junk = new byte[1024];
        new Random(42).nextBytes(junk);
        Path file = Files.write(dir.resolve("junk.p12"), junk);

        assertThatThrownBy(() -> Certificates.loadPkcs12(file, PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a PKCS#12 file")
                .hasMessageContaining("junk.p12");
    }

    @Test
    void pkcs12WithoutPrivateKeyIsReportedNamingTheFile() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("peer", Certificates.generateSelfSigned("peer").certificate());
        Path file = dir.resolve("trust-only.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD);
        }

        assertThatThrownBy(() -> Certificates.loadPkcs12(file, PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no private-key entry")
                .hasMessageContaining("trust-only.p12");
    }

    @Test
    void keyAndCertificateWorkInAMutualTls13Handshake() throws Exception {
        Path file = dir.resolve("identity.p12");
        X509Certificate certificate = Certificates.generatePkcs12(file, "both-ends", PASSWORD).certificate();
        SSLContext context = contextTrustingOnly(file, certificate);

        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        FutureTask<Certificate> serverSide = new FutureTask<>(() -> {
            try (SSLSocket accepted = (SSLSocket) server.accept()) {
                accepted.setSoTimeout(SOCKET_TIMEOUT_MS);
                accepted.startHandshake();
                Certificate peer = accepted.getSession().getPeerCertificates()[0];
                // Tells the client the handshake, including the check of its certificate, succeeded here.
                accepted.getOutputStream().write(1);
                accepted.getOutputStream().flush();
                // A TLS 1.3 close() waits for the peer's close_notify: take it here, after the client is done.
                assertThat(accepted.getInputStream().read()).isEqualTo(-1);
                return peer;
            }
        });
        Thread serverThread = new Thread(serverSide, "certificates-test-tls-server");
        try {
            server.setNeedClientAuth(true);
            server.setEnabledProtocols(new String[] {"TLSv1.3"});
            server.setSoTimeout(SOCKET_TIMEOUT_MS);
            serverThread.start();
            try (SSLSocket client = (SSLSocket) context.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                client.setSoTimeout(SOCKET_TIMEOUT_MS);
                client.setEnabledProtocols(new String[] {"TLSv1.3"});
                client.startHandshake();
                assertThat(client.getInputStream().read()).as("server accepted our certificate").isEqualTo(1);
                assertThat(client.getSession().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(client.getSession().getPeerCertificates()[0]).isEqualTo(certificate);
            }
            assertThat(serverSide.get(SOCKET_TIMEOUT_MS, TimeUnit.MILLISECONDS)).isEqualTo(certificate);
        } finally {
            server.close(); // also ends a server thread still blocked in accept() if the client failed
            serverThread.join(SOCKET_TIMEOUT_MS);
        }
    }

    /** An SSLContext presenting the identity in {@code pkcs12} and trusting exactly {@code trusted}. */
    private static SSLContext contextTrustingOnly(Path pkcs12, X509Certificate trusted) throws Exception {
        KeyStore identity = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(pkcs12)) {
            identity.load(in, PASSWORD);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(identity, PASSWORD);

        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("trusted", trusted);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);

        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    private static List<Path> filesIn(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.toList();
        }
    }
}
