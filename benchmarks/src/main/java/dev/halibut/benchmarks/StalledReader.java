package dev.halibut.benchmarks;

import dev.halibut.DataStream;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsContextFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A writer facing a peer that stops reading: how long a call that uploads a large stream takes to fail when the
 * listener it calls accepts the connection, answers the identification and then reads nothing more. The peer is
 * a plain JSSE server (the host's certificate, mutual TLS) that never reads past the identification block, so
 * the caller's writes fill the socket buffers and then the transport's bounded write buffer; the call must fail
 * within the caller's {@code writeTimeout} (after the buffers filled), not block for good, and its heap must stay
 * small while it waits. Prints, per round, the time to failure, the error and the peak heap ({@link HeapSampler}).
 *
 * <pre>java -Xmx64m -cp benchmarks/target/benchmarks.jar dev.halibut.benchmarks.StalledReader [writeTimeout s] [rounds]</pre>
 */
public final class StalledReader {

    public static void main(String[] args) throws Exception {
        Duration writeTimeout = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        long size = 1L << 30;
        TlsContextFactory hostContexts = new TlsContextFactory(Identities.HOST.certificate(), Identities.HOST.privateKey(), "jdk");
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(Thumbprints.of(Identities.CALLER.certificate()));
        try (SSLServerSocket server = (SSLServerSocket) hostContexts.serverContext(trust).getServerSocketFactory()
                .createServerSocket(0, 16, InetAddress.getLoopbackAddress());
             HalibutRuntime caller = HalibutRuntime.builder()
                     .certificate(Identities.CALLER.certificate(), Identities.CALLER.privateKey())
                     .timeouts(HalibutLimits.defaults().withWriteTimeout(writeTimeout)
                             .withResponseTimeout(writeTimeout.multipliedBy(10)))
                     .build()) {
            server.setNeedClientAuth(true);
            server.setEnabledProtocols(new String[] {"TLSv1.3"});
            Thread peer = new Thread(() -> stallingPeer(server), "stalled-reader-peer");
            peer.setDaemon(true);
            peer.start();
            Sink sink = caller.createClient(Sink.class, new ServiceEndPoint(
                    URI.create("https://localhost:" + server.getLocalPort() + "/"), Thumbprints.of(Identities.HOST.certificate())));
            System.out.printf(Locale.ROOT, "writeTimeout %d s, upload of %d bytes to a peer that reads nothing; load %s%n",
                    writeTimeout.toSeconds(), size, load());
            for (int r = 0; r < rounds; r++) {
                HeapSampler heap = new HeapSampler("stalledReader-round-" + (r + 1));
                long t0 = System.nanoTime();
                String outcome;
                try {
                    sink.consume(DataStream.fromWriter(size, out -> Blocks.write(out, size)));
                    outcome = "returned (the peer read nothing: this must not happen)";
                } catch (RuntimeException e) {
                    StringBuilder b = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
                    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                        b.append(" | caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
                    }
                    outcome = b.toString();
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                heap.close();
                System.out.printf(Locale.ROOT, "round %d: failed after %d ms (writeTimeout %d ms, %.2fx): %s%n", r + 1, ms,
                        writeTimeout.toMillis(), ms / (double) writeTimeout.toMillis(), outcome);
            }
        }
    }

    /** Accepts connections, answers the identification, and then reads nothing; keeps each connection open. */
    private static void stallingPeer(ServerSocket server) {
        java.util.List<SSLSocket> held = new java.util.ArrayList<>();
        while (!server.isClosed()) {
            try {
                SSLSocket s = (SSLSocket) server.accept();
                held.add(s);
                s.startHandshake();
                readIdentification(s.getInputStream());
                OutputStream out = s.getOutputStream();
                out.write("HALIBUT-SERVER 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                // From here on nothing is read: the caller's request and stream pile up in the buffers.
            } catch (IOException e) {
                if (!server.isClosed()) {
                    System.out.println("peer: " + e);
                }
            }
        }
        for (SSLSocket s : held) {
            try {
                s.close();
            } catch (IOException e) {
                // closing at the end
            }
        }
    }

    /** Reads up to and including the empty line that ends the identification block (bounded). */
    private static void readIdentification(InputStream in) throws IOException {
        int state = 0;
        for (int i = 0; i < 16 * 1024; i++) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the caller closed during identification");
            }
            state = switch (state) {
                case 0 -> b == '\r' ? 1 : 0;
                case 1 -> b == '\n' ? 2 : 0;
                case 2 -> b == '\r' ? 3 : 0;
                default -> b == '\n' ? 4 : 0;
            };
            if (state == 4) {
                return;
            }
        }
        throw new IOException("identification block longer than 16 KiB");
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private StalledReader() {
    }
}
