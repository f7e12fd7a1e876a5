package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.Identification;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TlsConnector#connectAsync}: a connect holds no thread while it connects, handshakes or backs off; its steps
 * (each attempt's start, the outcome and the listener's news) run on the executor it is given, never on an event
 * loop; cancelling it or closing the connector ends it and closes its channel. And {@link TlsConnector#connect}, the
 * same connect waited for, keeps its interrupt rules.
 */
class AsyncConnectTest {

    private static final Duration LONG = TransportFixture.LONG;

    private final RecordingListener told = new RecordingListener();
    private final ExecutorService stepThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "connect-steps"));
    /** Counts the steps the connect hands to the executor, and runs them on {@link #stepThread}. */
    private final AtomicInteger steps = new AtomicInteger();
    private final Executor countingSteps = step -> {
        steps.incrementAndGet();
        stepThread.execute(step);
    };
    private final TlsConnector connector = new TlsConnector(
            new TlsContextFactory(TransportFixture.CLIENT.certificate(), TransportFixture.CLIENT.keys().getPrivate()), told);

    @AfterEach
    void closeAll() throws InterruptedException {
        connector.close();
        stepThread.shutdownNow();
        assertThat(stepThread.awaitTermination(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void identifiedConnectionAndTheListenersNewsArriveOnTheExecutorNotOnAnEventLoop() throws Exception {
        try (TransportFixture f = TransportFixture.accepting()) {
            CompletableFuture<Connection> connecting = connector.connectAsync(f.endpoint(), Identification.client(),
                    HalibutLimits.defaults(), countingSteps);
            try (Connection c = connecting.get(LONG.toSeconds(), TimeUnit.SECONDS)) {
                assertThat(c.remoteThumbprint()).isEqualTo(TransportFixture.SERVER.thumbprint());
                assertThat(told.connectedOn).containsExactly("connect-steps");
                assertThat(told.failures).isEmpty();
                // One step to start the only attempt, one to take its outcome: the handshake ran on no thread of theirs.
                assertThat(steps.get()).isEqualTo(2);
            }
        }
    }

    @Test
    void retriesWithBackOffUntilItsAttemptsAreSpentEachAttemptStartingOnTheExecutor() throws Exception {
        int closedPort = closedPort();
        HalibutLimits limits = HalibutLimits.defaults().withConnectAttempts(3);
        CompletableFuture<Connection> connecting = connector.connectAsync(endpointAt(closedPort), Identification.client(),
                limits, countingSteps);

        assertThatThrownBy(() -> connecting.get(LONG.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(HalibutClientException.class)
                .hasMessageStartingWith("Could not connect to https://127.0.0.1:" + closedPort + "/ after 3 attempts in ")
                .hasMessageContaining("Check that the service host is running");
        assertThat(told.failures).singleElement().satisfies(m -> assertThat(m).startsWith("connect-steps: Could not connect"));
        assertThat(told.connectedOn).isEmpty();
        // Three attempts started on the executor, one outcome: the two back-offs were timers, not tasks.
        assertThat(steps.get()).isEqualTo(4);
    }

    @Test
    void cancellingAConnectMidHandshakeClosesItsChannelAndTellsNobody() throws Exception {
        try (ServerSocket silent = silentListener()) {
            CompletableFuture<Connection> connecting = connector.connectAsync(endpointAt(silent.getLocalPort()),
                    Identification.client(), HalibutLimits.defaults(), countingSteps);
            try (Socket held = silent.accept()) {
                assertThat(connecting.cancel(false)).isTrue();
                assertClosedByTheConnector(held);
            }
            assertThat(connecting).isCancelled();
            assertThat(told.failures).isEmpty();
            assertThat(told.connectedOn).isEmpty();
        }
    }

    @Test
    void closingTheConnectorAbandonsAConnectMidHandshakeAndClosesItsChannel() throws Exception {
        try (ServerSocket silent = silentListener()) {
            CompletableFuture<Connection> connecting = connector.connectAsync(endpointAt(silent.getLocalPort()),
                    Identification.client(), HalibutLimits.defaults(), countingSteps);
            try (Socket held = silent.accept()) {
                connector.close();
                assertClosedByTheConnector(held);
            }
            assertThatThrownBy(() -> connecting.get(LONG.toSeconds(), TimeUnit.SECONDS))
                    .cause().isInstanceOf(HalibutClientException.class)
                    .hasMessage("Call to https://127.0.0.1:" + silent.getLocalPort() + "/ abandoned: the runtime is closed");
            assertThat(told.failures).singleElement().satisfies(m -> assertThat(m).startsWith("connect-steps: Call to"));
        }
    }

    @Test
    void closingTheConnectorEndsAConnectThatIsRetrying() throws Exception {
        // So many attempts that their back-offs (100 ms doubling to 5 s) alone outlast LONG: only close() ends it in time.
        HalibutLimits limits = HalibutLimits.defaults().withConnectAttempts(20).withConnectRetryWindow(Duration.ofMinutes(5));
        int closedPort = closedPort();
        CompletableFuture<Connection> connecting = connector.connectAsync(endpointAt(closedPort), Identification.client(),
                limits, countingSteps);
        long deadline = System.nanoTime() + LONG.toNanos();
        while (steps.get() < 2) { // the second attempt has started: one back-off is behind it
            assertThat(System.nanoTime()).as("second attempt started within " + LONG).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        connector.close();
        assertThatThrownBy(() -> connecting.get(LONG.toSeconds(), TimeUnit.SECONDS))
                .cause().isInstanceOf(HalibutClientException.class)
                .hasMessage("Call to https://127.0.0.1:" + closedPort + "/ abandoned: the runtime is closed");
    }

    @Test
    void aBlockingConnectInterruptedBeforeItStartsEndsAtItsFirstBackOffAndKeepsTheFlag() throws Exception {
        int closedPort = closedPort();
        HalibutLimits limits = HalibutLimits.defaults().withConnectAttempts(3);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> connector.connect(endpointAt(closedPort), Identification.client(), limits))
                    .isInstanceOf(HalibutClientException.class)
                    .hasMessage("Interrupted while waiting to reconnect");
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(told.failures).singleElement().satisfies(m -> assertThat(m).endsWith("Interrupted while waiting to reconnect"));
    }

    @Test
    void aBlockingConnectInterruptedMidAttemptStillConnectsKeepsTheFlagAndTellsTheListenerOnItsOwnThread() throws Exception {
        try (TransportFixture f = TransportFixture.accepting()) {
            Thread.currentThread().interrupt();
            try (Connection c = connector.connect(f.endpoint(), Identification.client(), HalibutLimits.defaults())) {
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
                assertThat(c.remoteThumbprint()).isEqualTo(TransportFixture.SERVER.thumbprint());
            } finally {
                Thread.interrupted();
            }
            assertThat(told.connectedOn).containsExactly(Thread.currentThread().getName());
        }
    }

    /** Waits (bounded) for EOF on the listener's end of a connection the connector should have closed. */
    private static void assertClosedByTheConnector(Socket held) throws IOException {
        held.setSoTimeout((int) LONG.toMillis());
        InputStream in = held.getInputStream();
        // The connector's ClientHello may be there first; then the end.
        while (true) {
            int b = in.read(new byte[4096]);
            if (b < 0) {
                return;
            }
        }
    }

    /** Accepts TCP connections (up to its backlog, and what the test accepts) and never answers a TLS handshake. */
    private static ServerSocket silentListener() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout((int) LONG.toMillis()); // accept() is bounded
        return s;
    }

    /** A loopback port nothing listens on (it was bound a moment ago and released). */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static ServiceEndPoint endpointAt(int port) {
        return new ServiceEndPoint(URI.create("https://127.0.0.1:" + port + "/"), TransportFixture.SERVER.thumbprint());
    }

    /** Records what the connector tells, and on which thread. */
    private static final class RecordingListener implements TlsConnector.Listener {
        final List<String> connectedOn = new CopyOnWriteArrayList<>();
        final List<String> failures = new CopyOnWriteArrayList<>();

        @Override
        public void connected(ServiceEndPoint endpoint, Identification self, Connection connection) {
            connectedOn.add(Thread.currentThread().getName());
        }

        @Override
        public void connectFailed(ServiceEndPoint endpoint, Identification self, HalibutClientException failure) {
            failures.add(Thread.currentThread().getName() + ": " + failure.getMessage());
        }
    }
}
