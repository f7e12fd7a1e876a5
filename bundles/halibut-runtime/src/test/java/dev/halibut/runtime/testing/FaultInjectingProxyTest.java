package dev.halibut.runtime.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultInjectingProxyTest {

    /** Bounds every blocking call, so a broken proxy fails a test instead of hanging it. */
    private static final int TIMEOUT_MS = 5_000;
    private static final Duration TIMEOUT = Duration.ofMillis(TIMEOUT_MS);

    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private EchoServer echo;
    private FaultInjectingProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = new FaultInjectingProxy(echo.address());
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket client : clients) {
            client.close();
        }
        proxy.close();
        echo.close();
        assertThat(threadsOf(proxy)).as("proxy threads alive after close()").isEmpty();
    }

    @Test
    void forwardsBothWaysAndPassesTheHalfCloseOn() throws Exception {
        Socket client = connect();
        send(client, "hello");
        client.shutdownOutput();

        assertThat(readToEnd(client)).isEqualTo("hello");
        assertThat(echo.nextConnectionReceived()).isEqualTo("hello");
        proxy.awaitAcceptedConnections(1, TIMEOUT);
        assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void refusedConnectionIsClosedWithoutReachingTheTarget() throws Exception {
        proxy.refuse();
        Socket client = connect();

        assertThat(readOutcome(client)).isIn("EOF", "reset");
        proxy.awaitAcceptedConnections(1, TIMEOUT);
        assertThat(echo.connections()).isZero();

        proxy.forward(); // faults can be changed at any time, for the connections that follow
        Socket next = connect();
        send(next, "ok");
        assertThat(readExactly(next, 2)).isEqualTo("ok");
        assertThat(proxy.acceptedConnections()).isEqualTo(2);
    }

    @Test
    void afterStopListeningConnectIsRefused() throws Exception {
        proxy.stopListening();

        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), proxy.port()).close())
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void resetAfterClientBytesDeliversExactlyThoseBytesThenResetsTheClient() throws Exception {
        proxy.resetAfterClientBytes(5);
        Socket client = connect();
        send(client, "hello world");

        assertThat(echo.nextConnectionReceived()).isEqualTo("hello");
        assertThatThrownBy(() -> readToEnd(client)).isInstanceOf(IOException.class);
        assertThat(proxy.openConnections()).isZero();
    }

    @Test
    void resetAfterServerBytesDeliversExactlyThoseBytesThenResetsTheClient() throws Exception {
        proxy.resetAfterServerBytes(3);
        Socket client = connect();
        send(client, "hello world");

        assertThat(readExactly(client, 3)).isEqualTo("hel");
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(IOException.class);
    }

    @Test
    void stallAfterServerBytesHoldsTheRestUntilForward() throws Exception {
        proxy.stallAfterServerBytes(4);
        Socket client = connect();
        send(client, "hello world");

        assertThat(readExactly(client, 4)).isEqualTo("hell");
        assertNothingArrivesWithin300Ms(client);
        proxy.forward();
        assertThat(readExactly(client, 7)).isEqualTo("o world");
    }

    @Test
    void stallAfterClientBytesHoldsTheRestUntilForward() throws Exception {
        proxy.stallAfterClientBytes(4);
        Socket client = connect();
        send(client, "hello world");

        assertThat(readExactly(client, 4)).as("echo of what got through").isEqualTo("hell");
        assertNothingArrivesWithin300Ms(client);
        proxy.forward();
        assertThat(readExactly(client, 7)).isEqualTo("o world");
    }

    @Test
    void truncateAfterServerBytesEndsTheStreamAtExactlyThatByte() throws Exception {
        proxy.truncateAfterServerBytes(4);
        Socket client = connect();
        send(client, "hello world");

        assertThat(readToEnd(client)).isEqualTo("hell");
    }

    @Test
    void duplicateServerBytesRepeatsThemOnceRightAfterThemselves() throws Exception {
        proxy.duplicateServerBytesAt(2, 3);
        Socket client = connect();
        send(client, "abcdefgh");
        client.shutdownOutput();

        assertThat(readToEnd(client)).isEqualTo("abcde" + "cde" + "fgh");
        assertThat(echo.nextConnectionReceived()).isEqualTo("abcdefgh");
    }

    @Test
    void killAllResetsLiveConnections() throws Exception {
        Socket client = connect();
        send(client, "ping");
        assertThat(readExactly(client, 4)).isEqualTo("ping");
        assertThat(proxy.openConnections()).isEqualTo(1);

        proxy.killAll();

        assertThat(proxy.openConnections()).isZero();
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(IOException.class);
    }

    @Test
    void aFaultAppliesOnlyToConnectionsAcceptedAfterIt() throws Exception {
        Socket before = connectedAndEchoedOnce();

        proxy.truncateAfterServerBytes(0);
        Socket after = connect();

        assertThat(readToEnd(after)).isEmpty();
        send(before, "two");
        assertThat(readExactly(before, 3)).isEqualTo("two");
    }

    @Test
    void liveStallHoldsTheNextServerBytesOfOpenConnectionsUntilForward() throws Exception {
        Socket client = connectedAndEchoedOnce();

        proxy.injectIntoNextServerBytes(FaultInjectingProxy.LiveFault.STALL);
        send(client, "two");
        assertNothingArrivesWithin300Ms(client);
        proxy.forward();
        assertThat(readExactly(client, 3)).isEqualTo("two");
    }

    @Test
    void liveTruncateEndsTheStreamBeforeTheNextServerBytes() throws Exception {
        Socket client = connectedAndEchoedOnce();

        proxy.injectIntoNextServerBytes(FaultInjectingProxy.LiveFault.TRUNCATE);
        send(client, "two");
        assertThat(readToEnd(client)).isEmpty();
    }

    @Test
    void liveDuplicateSendsTheNextServerBytesTwice() throws Exception {
        Socket client = connectedAndEchoedOnce();

        proxy.injectIntoNextServerBytes(FaultInjectingProxy.LiveFault.DUPLICATE);
        send(client, "two");
        assertThat(readExactly(client, 6)).isEqualTo("twotwo");
        send(client, "three"); // only once
        assertThat(readExactly(client, 5)).isEqualTo("three");
    }

    @Test
    void liveResetOnTheNextClientBytesKeepsThemFromTheTarget() throws Exception {
        Socket client = connectedAndEchoedOnce();

        proxy.injectIntoNextClientBytes(FaultInjectingProxy.LiveFault.RESET);
        send(client, "two");
        assertThat(readOutcome(client)).isIn("EOF", "reset");
        assertThat(echo.nextConnectionReceived()).isEqualTo("one");
    }

    @Test
    void liveFaultsSpareConnectionsAcceptedAfterThem() throws Exception {
        proxy.injectIntoNextServerBytes(FaultInjectingProxy.LiveFault.TRUNCATE);
        Socket later = connect();
        send(later, "fine");
        assertThat(readExactly(later, 4)).isEqualTo("fine");
    }

    @Test
    void awaitAcceptedConnectionsFailsWhenTheyDoNotCome() {
        assertThatThrownBy(() -> proxy.awaitAcceptedConnections(1, Duration.ofMillis(50)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("accepted 0");
    }

    @Test
    void closeEndsEveryConnectionAndThread() throws Exception {
        Socket forwarded = connect();
        send(forwarded, "x");
        assertThat(readExactly(forwarded, 1)).isEqualTo("x");
        proxy.stallAfterServerBytes(0);
        Socket stalled = connect();
        send(stalled, "y");
        proxy.awaitAcceptedConnections(2, TIMEOUT);

        proxy.close();

        assertThat(threadsOf(proxy)).isEmpty();
        assertThat(proxy.openConnections()).isZero();
        assertThat(readOutcome(forwarded)).isIn("EOF", "reset");
        assertThat(readOutcome(stalled)).isIn("EOF", "reset");
    }

    /** A connection through the proxy that has carried "one" to the echo server and back: forwarding works. */
    private Socket connectedAndEchoedOnce() throws IOException {
        Socket socket = connect();
        send(socket, "one");
        assertThat(readExactly(socket, 3)).isEqualTo("one");
        return socket;
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        clients.add(socket);
        socket.setSoTimeout(TIMEOUT_MS);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(US_ASCII));
    }

    private static String readExactly(Socket socket, int n) throws IOException {
        byte[] bytes = socket.getInputStream().readNBytes(n);
        assertThat(bytes).as("stream ended early").hasSize(n);
        return new String(bytes, US_ASCII);
    }

    private static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), US_ASCII);
    }

    /** How the connection ends for a reader: "EOF" or "reset" (a closing peer may do either). */
    private static String readOutcome(Socket socket) {
        try {
            int b = socket.getInputStream().read();
            return b < 0 ? "EOF" : "byte " + b;
        } catch (SocketTimeoutException e) {
            return "timeout";
        } catch (IOException e) {
            return "reset";
        }
    }

    /** The proxy reads nothing past a stall, so a short read timeout here is certain, not a race. */
    private static void assertNothingArrivesWithin300Ms(Socket socket) throws IOException {
        socket.setSoTimeout(300);
        assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        socket.setSoTimeout(TIMEOUT_MS);
    }

    private static List<String> threadsOf(FaultInjectingProxy proxy) {
        String prefix = "fault-proxy-" + proxy.port() + "-";
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith(prefix))
                .toList();
    }

    /**
     * Echoes every byte back and records what each connection received, completed when that
     * connection ends (by end of stream or reset). Owns its sockets and threads; close() ends them.
     */
    private static final class EchoServer {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread acceptor = new Thread(this::acceptLoop, "echo-server-accept");
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final List<Thread> handlers = new CopyOnWriteArrayList<>();
        private final BlockingQueue<CompletableFuture<String>> received = new LinkedBlockingQueue<>();

        EchoServer() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        int connections() {
            return handlers.size();
        }

        /** Everything the next connection received, once it has ended. */
        String nextConnectionReceived() throws Exception {
            CompletableFuture<String> next = received.poll(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertThat(next).as("a connection reached the echo server").isNotNull();
            return next.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }

        private void acceptLoop() {
            while (true) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException e) {
                    return; // close() closed the listener: the only way this test server stops
                }
                sockets.add(socket);
                CompletableFuture<String> result = new CompletableFuture<>();
                received.add(result);
                Thread handler = new Thread(() -> echo(socket, result), "echo-server-connection");
                handler.setDaemon(true);
                handlers.add(handler);
                handler.start();
            }
        }

        private static void echo(Socket socket, CompletableFuture<String> result) {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                byte[] buf = new byte[1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    got.write(buf, 0, n); // recorded before echoing, so a reset on write loses nothing
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // A reset is one of the outcomes under test; what arrived before it is the result.
            }
            result.complete(got.toString(US_ASCII));
        }

        void close() throws IOException, InterruptedException {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
            acceptor.join(TIMEOUT_MS);
            for (Thread handler : handlers) {
                handler.join(TIMEOUT_MS);
            }
        }
    }
}
