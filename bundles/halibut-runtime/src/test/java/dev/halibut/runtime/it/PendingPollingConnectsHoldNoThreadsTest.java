package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.runtime.testing.FaultInjectingProxy;
import dev.halibut.transport.EventLoops;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A polling service host's connects hold no thread while the listener's TLS handshake is pending (issue 15: "a
 * connection in its TLS handshake must not hold a thread"): many subscriptions towards a "listener" that accepts TCP and
 * never answers the handshake cost the runtime no thread per connect, and no more than its connect slots of
 * handshakes at once; they connect once the listener answers; closing the runtime while they are
 * pending ends them, leaving no thread and no socket, and so does closing their subscriptions.
 */
class PendingPollingConnectsHoldNoThreadsTest {

    private static final int SUBSCRIPTIONS = 40;
    /** The runtime's connect slots ({@code PollingWorkers.MAX_CONNECTING}): handshakes a service host runs at once. */
    private static final int CONNECT_SLOTS = 16;
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Longer than the test: a pending handshake ends because the test ends it, never by its timeout. */
    private static final HalibutLimits LIMITS = HalibutLimits.defaults()
            .withConnectTimeout(Duration.ofMinutes(10)).withConnectRetryWindow(Duration.ofMinutes(10));

    @Test
    void connectsMidHandshakeHoldNoThreadAndAtMostTheConnectSlotsRunThenAllConnectOnceTheListenerAnswers()
            throws Exception {
        // The listener stays silent for as long as the test holds the proxy's stall: the proxy owns the port from
        // start to end (no port is freed and bound again), and the listener waits longer than the test for a handshake.
        try (HalibutRuntime octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey())
                .timeouts(LIMITS.withHandshakeTimeout(Duration.ofMinutes(10))).build();
             HalibutRuntime tentacle = tentacle()) {
            octopus.trust(tentacle.thumbprint());
            int port = octopus.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (FaultInjectingProxy silent = new FaultInjectingProxy(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                silent.stallAfterClientBytes(0); // no ClientHello reaches the listener until forward()
                int threadsBefore = ThreadLeaks.halibutThreads().size();
                List<PollingSubscription> subs = subscribe(tentacle, silent.port(), octopus.thumbprint());
                silent.awaitAcceptedConnections(CONNECT_SLOTS, WAIT);

                // The connects' brief steps ran on polling workers, which retire when idle: none waits for a handshake.
                Await.until("no polling worker thread while " + CONNECT_SLOTS + " handshakes are pending (left: "
                        + pollingThreads() + ")", WAIT, () -> pollingThreads().isEmpty());
                // Since then, at most the two runtimes' event loops (started as connections came) and a timer have
                // started: nothing per connect.
                assertThat(ThreadLeaks.halibutThreads())
                        .as("Halibut threads with %d handshakes pending (%d before)", CONNECT_SLOTS, threadsBefore)
                        .hasSizeLessThanOrEqualTo(threadsBefore + 2 * EventLoops.DEFAULT_THREADS + 1);
                // The slots are still a limit: the other subscriptions wait for one, without a handshake or a thread.
                assertThat(silent.acceptedConnections()).as("handshakes started at once").isEqualTo(CONNECT_SLOTS);
                assertThat(subs).allMatch(s -> s.connectedCount() == 0);

                // The listener answers: the pending handshakes complete, and the waiting subscriptions take their slots.
                silent.forward();
                Await.until("all " + SUBSCRIPTIONS + " subscriptions connected to the listener", Duration.ofSeconds(120),
                        () -> subs.stream().allMatch(s -> s.connectedCount() == 1));
                Calculator last = octopus.createClient(Calculator.class, new ServiceEndPoint(
                        URI.create("poll://pending-" + (SUBSCRIPTIONS - 1) + "/"), tentacle.thumbprint()));
                assertThat(last.add(2, 3)).isEqualTo(5);
            }
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    @Test
    void closingTheRuntimeWhileConnectsArePendingOrWaitingForASlotLeavesNoThreadAndNoSocket() throws Exception {
        long socketsBefore = SocketLeaks.openSockets();
        try (SilentListener silent = new SilentListener()) {
            HalibutRuntime tentacle = tentacle();
            subscribe(tentacle, silent.port(), Thumbprints.of(TestIdentities.OCTOPUS.certificate()));
            Await.until(CONNECT_SLOTS + " handshakes pending at the silent listener", WAIT,
                    () -> silent.accepted() >= CONNECT_SLOTS);

            tentacle.close();

            // The runtime closed its end of every pending handshake (the silent listener closed none).
            silent.assertEveryConnectionEndedByThePeer();
            ThreadLeaks.assertNoHalibutThreads();
        }
        SocketLeaks.assertBackTo(socketsBefore, WAIT);
    }

    @Test
    void closingSubscriptionsEndsTheirPendingConnectsAtOnceNotAtTheConnectTimeout() throws Exception {
        try (SilentListener silent = new SilentListener(); HalibutRuntime tentacle = tentacle()) {
            List<PollingSubscription> subs = subscribe(tentacle, silent.port(),
                    Thumbprints.of(TestIdentities.OCTOPUS.certificate()));
            Await.until(CONNECT_SLOTS + " handshakes pending at the silent listener", WAIT,
                    () -> silent.accepted() >= CONNECT_SLOTS);
            List<Socket> pending = List.copyOf(silent.held);

            // The handshakes would stay pending for the connect timeout (10 minutes): closing the subscriptions (not the
            // runtime) ends them now.
            subs.forEach(PollingSubscription::close);
            silent.assertEnded(pending);
        }
    }

    private static HalibutRuntime tentacle() {
        return HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .timeouts(LIMITS)
                .service(Calculator.class, new CalculatorService()).build();
    }

    private static List<PollingSubscription> subscribe(HalibutRuntime tentacle, int port, String listenerThumbprint) {
        ServiceEndPoint listener = new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), listenerThumbprint);
        List<PollingSubscription> subs = new ArrayList<>();
        for (int i = 0; i < SUBSCRIPTIONS; i++) {
            subs.add(tentacle.poll(URI.create("poll://pending-" + i + "/"), listener));
        }
        return subs;
    }

    /** The service host's polling workers, {@code halibut-<id>-poll-<n>}. */
    private static List<String> pollingThreads() {
        return ThreadLeaks.halibutThreads().stream().map(Thread::getName).filter(n -> n.matches("halibut-\\d+-poll-\\d+"))
                .sorted().toList();
    }

    /**
     * A "listener" on a free loopback port that accepts TCP connections, keeps them, and never says a word: every TLS
     * handshake with it stays pending. Closing it resets the connections it holds (no TIME_WAIT keeps the port) and
     * ends its accepting thread.
     */
    private static final class SilentListener implements AutoCloseable {
        private final ServerSocket server = new ServerSocket();
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        SilentListener() throws IOException {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            acceptor = new Thread(this::acceptUntilClosed, "silent-listener-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void acceptUntilClosed() {
            try {
                while (true) {
                    held.add(server.accept());
                }
            } catch (IOException e) {
                // closed: the test is over with it
            }
        }

        int port() {
            return server.getLocalPort();
        }

        int accepted() {
            return held.size();
        }

        /** Each held connection sees its peer's end (after the ClientHello it sent), bounded by {@link #WAIT}. */
        void assertEveryConnectionEndedByThePeer() throws IOException {
            assertEnded(held);
        }

        void assertEnded(List<Socket> connections) throws IOException {
            byte[] buffer = new byte[4096];
            for (Socket s : connections) {
                s.setSoTimeout((int) WAIT.toMillis());
                InputStream in = s.getInputStream();
                try {
                    while (in.read(buffer) >= 0) {
                        // the ClientHello; then the end
                    }
                } catch (SocketException reset) {
                    // a reset is an end too
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("The service host's end of " + s + " is still open after " + WAIT
                            + ": its pending handshake was not ended", e);
                }
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            server.close();
            acceptor.join(WAIT.toMillis());
            for (Socket s : held) {
                s.setSoLinger(true, 0); // a reset: nothing of the test lingers in TIME_WAIT
                s.close();
            }
        }
    }
}
