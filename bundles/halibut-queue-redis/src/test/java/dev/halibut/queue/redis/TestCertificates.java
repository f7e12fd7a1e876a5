package dev.halibut.queue.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A private CA, a server certificate it issued for given subject alternative names, and a client certificate
 * it issued (as PKCS#12), made with {@code openssl} in a temporary directory that {@link #close()} deletes.
 * EC P-256 keys, so generating them takes milliseconds.
 */
final class TestCertificates implements AutoCloseable {

    private static final String KEY_STORE_PASSWORD = "client-pw";

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    static TestCertificates create(List<String> subjectAltNames) throws IOException {
        Path dir = Files.createTempDirectory("redis-tls-");
        TestCertificates c = new TestCertificates(dir);
        try {
            Files.writeString(dir.resolve("openssl.cnf"), """
                    [req]
                    distinguished_name = dn
                    prompt = no
                    [dn]
                    CN = unused
                    [ca]
                    basicConstraints = critical,CA:TRUE
                    keyUsage = critical,keyCertSign,cRLSign
                    subjectKeyIdentifier = hash
                    [server]
                    basicConstraints = CA:FALSE
                    keyUsage = critical,digitalSignature
                    extendedKeyUsage = serverAuth
                    subjectAltName = %s
                    [client]
                    basicConstraints = CA:FALSE
                    keyUsage = critical,digitalSignature
                    extendedKeyUsage = clientAuth
                    """.formatted(String.join(",", subjectAltNames)));
            String ec = "ec_paramgen_curve:prime256v1";
            c.openssl("req", "-x509", "-config", "openssl.cnf", "-extensions", "ca", "-newkey", "ec", "-pkeyopt", ec,
                    "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=halibut test Redis CA " + dir.getFileName()); // unique: one CA per server
            c.issue("server", "/CN=halibut test Redis server");
            c.issue("client", "/CN=halibut test Redis client");
            c.openssl("pkcs12", "-export", "-inkey", "client.key", "-in", "client.pem", "-name", "client",
                    "-out", "client.p12", "-passout", "pass:" + KEY_STORE_PASSWORD);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void issue(String name, String subject) throws IOException {
        openssl("req", "-new", "-config", "openssl.cnf", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject);
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
                Long.toString(System.nanoTime() & Long.MAX_VALUE), "-days", "2", "-extfile", "openssl.cnf",
                "-extensions", name, "-out", name + ".pem");
    }

    private void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path output = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException("openssl " + args[0] + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running openssl " + args[0], e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with " + p.exitValue() + ":\n" + Files.readString(output));
        }
    }

    Path caFile() {
        return dir.resolve("ca.pem");
    }

    Path serverCertificate() {
        return dir.resolve("server.pem");
    }

    Path serverKey() {
        return dir.resolve("server.key");
    }

    Path clientKeyStore() {
        return dir.resolve("client.p12");
    }

    String keyStorePassword() {
        return KEY_STORE_PASSWORD;
    }

    /** Sockets trusting this CA (no host name check) and presenting the client certificate: the test's own client. */
    SSLSocketFactory clientSocketFactory() throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(caFile())) {
                Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
                trust.setCertificateEntry("ca", ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(KeyStore.getInstance(clientKeyStore().toFile(), KEY_STORE_PASSWORD.toCharArray()),
                    KEY_STORE_PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the test certificates in " + dir, e);
        }
    }

    /** Deletes the directory and everything in it. */
    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete the test certificates in " + dir, e);
        }
    }
}
