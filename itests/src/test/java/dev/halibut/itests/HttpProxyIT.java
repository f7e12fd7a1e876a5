package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.halibut.examples.calculator.Calculator;
import dev.halibut.runtime.RuntimeStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;

/**
 * The {@code proxy.*} keys of {@code dev.halibut.runtime} in Karaf: the runtime polls itself for poll://proxied/
 * through an HTTP CONNECT proxy on loopback (a minimal one, below), and the status shows that route.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HttpProxyIT extends HalibutTestSupport {

    private static final String SUBSCRIPTION = "poll://proxied/";

    private MiniConnectProxy proxy;
    private Configuration pollConfiguration;
    private Configuration importConfiguration;

    @Before
    public void startProxy() throws IOException {
        proxy = new MiniConnectProxy();
    }

    @After
    public void cleanUp() throws Exception {
        for (Configuration c : new Configuration[] {importConfiguration, pollConfiguration}) {
            if (c != null) {
                c.delete();
            }
        }
        configurationAdmin.getConfiguration(RUNTIME_PID, ANY_LOCATION).delete();
        proxy.close();
    }

    @Test
    public void aRuntimeWithProxyKeysPollsThroughTheProxyAndShowsTheRoute() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        String route = "proxy 127.0.0.1:" + proxy.port();
        RuntimeState runtime = configureListeningRuntime(properties("proxy.host", "127.0.0.1",
                        "proxy.port", String.valueOf(proxy.port()), "polling.collection.timeout", "2s"),
                s -> s.runtime().route(new dev.halibut.ServiceEndPoint(java.net.URI.create("https://localhost:1/"),
                        s.thumbprint())).equals(route), own);
        pollConfiguration = createFactoryConfiguration(POLL_FACTORY_PID, properties(
                "subscription", SUBSCRIPTION,
                "endpoint", "https://localhost:" + runtime.port() + "/",
                "thumbprint", runtime.thumbprint()));
        importConfiguration = createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", SUBSCRIPTION,
                "thumbprint", runtime.thumbprint(),
                "interfaces", CALCULATOR));

        ServiceReference<?> ref = Await.value("an imported Calculator for " + SUBSCRIPTION,
                () -> importedCalculators("(halibut.endpoint=" + SUBSCRIPTION + ")").stream().findFirst().orElse(null));
        Calculator calculator = (Calculator) bundleContext.getService(ref);
        try {
            AtomicReference<RuntimeException> last = new AtomicReference<>();
            Await.until(() -> "a call over " + SUBSCRIPTION + " through the proxy; last failure: " + last.get(), () -> {
                try {
                    return calculator.add(20, 22) == 42;
                } catch (ServiceException e) {
                    last.set(e);
                    return false;
                }
            });
        } finally {
            bundleContext.ungetService(ref);
        }
        assertTrue("the polling connection went through the proxy: " + proxy.targets, proxy.tunnels.get() >= 1
                && proxy.targets.contains("localhost:" + runtime.port()));
        List<RuntimeStatus.Subscription> subscriptions = awaitRuntime("the runtime", s -> s.serviceId() == runtime.serviceId())
                .runtime().status().subscriptions();
        assertEquals(1, subscriptions.size());
        assertEquals(route, subscriptions.get(0).route());
    }

    /** Accepts CONNECT to loopback and relays bytes; enough for one test, closed with it. */
    private static final class MiniConnectProxy implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger tunnels = new AtomicInteger();
        final Set<String> targets = ConcurrentHashMap.newKeySet();
        final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        MiniConnectProxy() throws IOException {
            start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        sockets.add(client);
                        start(() -> tunnel(client));
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private void start(Runnable r) {
            Thread t = new Thread(r, "mini-connect-proxy");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }

        private void tunnel(Socket client) {
            try {
                InputStream in = client.getInputStream();
                ByteArrayOutputStream header = new ByteArrayOutputStream();
                while (!header.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    int c = in.read();
                    if (c < 0 || header.size() > 8192) {
                        client.close();
                        return;
                    }
                    header.write(c);
                }
                String target = header.toString(StandardCharsets.ISO_8859_1).split(" ")[1];
                targets.add(target);
                int colon = target.lastIndexOf(':');
                Socket upstream = new Socket();
                sockets.add(upstream);
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        Integer.parseInt(target.substring(colon + 1))), 5000);
                tunnels.incrementAndGet();
                client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                start(() -> relay(client, upstream));
                relay(upstream, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }

        private static void relay(Socket from, Socket to) {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                in.transferTo(out);
            } catch (IOException e) {
                // one side closed: close both below
            }
            closeQuietly(from);
            closeQuietly(to);
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            sockets.forEach(MiniConnectProxy::closeQuietly);
            for (Thread t : threads) {
                t.join(5000);
            }
        }
    }
}
