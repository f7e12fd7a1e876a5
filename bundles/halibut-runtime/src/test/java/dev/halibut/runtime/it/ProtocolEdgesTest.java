package dev.halibut.runtime.it;

import static dev.halibut.runtime.it.PollingListeners.listen;
import static dev.halibut.runtime.it.PollingListeners.subscriberConnections;
import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.polling.internal.KeepAliveSettings;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.TlsContextFactory;
import dev.halibut.wire.Identification;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edges of a polling connection that protocol.md defines (found by a peer written from it in another
 * language): a closing listener ends each subscriber connection with END; a subscriber's END, or its close
 * without END (EOF between frames), is noticed without waiting for the next keep-alive; a subscriber whose
 * listener goes away between frames reconnects; and a subscriber learns the listener's keep-alive and heartbeat
 * timeout from its identification answer and calls a silent connection dead by those.
 */
class ProtocolEdgesTest {

    private static final URI SUBSCRIPTION = URI.create("poll://edges/");
    /** Longer than any test runs: only the checks under test can end an idle connection in time. */
    private static final HalibutLimits LONG_KEEP_ALIVE = HalibutLimits.defaults().withPollingKeepAlive(Duration.ofMinutes(10));
    private static final int END = 0x12;

    @RegisterExtension
    final ClosedAfterEach resources = new ClosedAfterEach();

    private HalibutRuntime listener(HalibutLimits limits) {
        return resources.track(PollingListeners.octopusTrustingTentacle(limits));
    }

    /** The tentacle's certificate, as a raw subscriber presents it. */
    private static final class Certificates {
        static final String TENTACLE_THUMBPRINT = dev.halibut.Thumbprints.of(TestIdentities.TENTACLE.certificate());
    }

    /** A subscriber written by hand: TLS as the tentacle, HALIBUT-SUBSCRIBER, then frames read and written raw. */
    private final class RawSubscriber implements AutoCloseable {
        final RawSubscriberConnection connection;
        final DataInputStream in;
        final OutputStream out;

        RawSubscriber(HalibutRuntime listener, int port) throws IOException {
            connection = resources.track(RawSubscriberConnection.open(listener, port, SUBSCRIPTION));
            in = connection.in();
            out = connection.out();
        }

        /** Reads frames until one of {@code type}, answering NEXT with PROCEED meanwhile. */
        void expectFrame(int type) throws IOException {
            while (true) {
                int t = in.readUnsignedByte();
                int length = in.readInt();
                in.skipNBytes(length);
                if (t == type) {
                    return;
                }
                assertThat(t).as("frame type").isEqualTo(0x10); // NEXT
                sendFrame(0x11);
            }
        }

        void sendFrame(int type) throws IOException {
            out.write(new byte[] {(byte) type, 0, 0, 0, 0});
            out.flush();
        }

        boolean closedByListener() throws IOException {
            return connection.closedByListener();
        }

        @Override
        public void close() throws IOException {
            connection.close();
        }
    }

    @Test
    void aClosingListenerEndsEachIdleSubscriberConnectionWithEnd() throws Exception {
        HalibutRuntime octopus = listener(LONG_KEEP_ALIVE);
        int port = listen(octopus);
        RawSubscriber first = new RawSubscriber(octopus, port);
        RawSubscriber second = new RawSubscriber(octopus, port);
        Await.until("both subscribers served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 2);

        octopus.close();

        for (RawSubscriber s : List.of(first, second)) {
            s.expectFrame(END);
            assertThat(s.closedByListener()).isTrue();
        }
    }

    @Test
    void aSubscriberNoLongerTrustedIsEndedWithEndWithoutWaitingForTheNextKeepAlive() throws Exception {
        HalibutRuntime octopus = listener(LONG_KEEP_ALIVE);
        RawSubscriber s = new RawSubscriber(octopus, listen(octopus));
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);

        octopus.removeTrust(Certificates.TENTACLE_THUMBPRINT);

        s.expectFrame(END);
        assertThat(s.closedByListener()).isTrue();
    }

    @Test
    void aSubscribersEndIsNoticedWithoutWaitingForTheNextKeepAlive() throws Exception {
        HalibutRuntime octopus = listener(LONG_KEEP_ALIVE);
        RawSubscriber s = new RawSubscriber(octopus, listen(octopus));
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);

        s.sendFrame(END); // and keep the connection open: only the END says it is over

        assertThat(s.closedByListener()).isTrue();
        Await.until("the listener let the subscriber go", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 0);
    }

    @Test
    void aSubscriberThatClosesBetweenFramesWithoutEndIsLetGoWithoutWaitingForTheNextKeepAlive() throws Exception {
        HalibutRuntime octopus = listener(LONG_KEEP_ALIVE);
        RawSubscriber s = new RawSubscriber(octopus, listen(octopus));
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);

        s.connection.socket().shutdownOutput(); // EOF between frames: no END

        Await.until("the listener let the subscriber go", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 0);
    }

    @Test
    void theListenerAnnouncesItsKeepAliveAndHeartbeatTimeoutToSubscribersOnly() throws Exception {
        HalibutLimits limits = HalibutLimits.defaults().withPollingKeepAlive(Duration.ofSeconds(42))
                .withHeartbeatTimeout(Duration.ofMillis(7500));
        HalibutRuntime octopus = listener(limits);
        RawSubscriber s = new RawSubscriber(octopus, listen(octopus));
        assertThat(s.connection.answer().role()).isEqualTo(Identification.Role.SERVER);
        assertThat(s.connection.answer().header(KeepAliveSettings.KEEP_ALIVE_HEADER)).isEqualTo("42000");
        assertThat(s.connection.answer().header(KeepAliveSettings.HEARTBEAT_TIMEOUT_HEADER)).isEqualTo("7500");
        assertThat(KeepAliveSettings.announcedIn(s.connection.answer(), HalibutLimits.defaults()))
                .isEqualTo(new KeepAliveSettings(Duration.ofSeconds(42), Duration.ofMillis(7500)));
    }

    /** A listener written by hand, that a polling tentacle connects to; it answers with {@code headers}. */
    private final class RawListener implements AutoCloseable {
        final SSLServerSocket server;
        final Identification answer;

        RawListener(Identification answer) throws IOException {
            TlsContextFactory tls = new TlsContextFactory(TestIdentities.OCTOPUS.certificate(),
                    TestIdentities.OCTOPUS.privateKey());
            ThumbprintTrust trust = new ThumbprintTrust();
            trust.add(Certificates.TENTACLE_THUMBPRINT);
            server = (SSLServerSocket) tls.serverContext(trust).getServerSocketFactory()
                    .createServerSocket(0, 4, InetAddress.getLoopbackAddress());
            server.setNeedClientAuth(true);
            server.setSoTimeout(20_000);
            this.answer = answer;
            resources.track(this);
        }

        ServiceEndPoint endpoint() {
            String thumbprint = dev.halibut.Thumbprints.of(TestIdentities.OCTOPUS.certificate());
            return new ServiceEndPoint(URI.create("https://localhost:" + server.getLocalPort() + "/"), thumbprint);
        }

        /** Accepts the next subscriber connection (within the accept timeout) and answers its identification. */
        SSLSocket accept() throws IOException {
            SSLSocket s = (SSLSocket) server.accept();
            resources.track(s);
            s.setSoTimeout(20_000);
            s.startHandshake();
            InputStream in = s.getInputStream();
            assertThat(Identification.readFrom(in).role()).isEqualTo(Identification.Role.SUBSCRIBER);
            answer.writeTo(s.getOutputStream());
            return s;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private PollingSubscription poll(RawListener listener) {
        HalibutRuntime tentacle = resources.track(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey()).build());
        return resources.track(tentacle.poll(SUBSCRIPTION, listener.endpoint()));
    }

    @Test
    void aSubscriberWhoseListenerClosesBetweenFramesWithoutEndReconnects() throws Exception {
        RawListener listener = new RawListener(Identification.server());
        poll(listener);
        listener.accept().close(); // EOF between frames, no END

        listener.accept(); // the subscriber is back (within the accept timeout)
    }

    @Test
    void aSubscriberCallsASilentConnectionDeadByTheListenersAnnouncedKeepAliveNotItsOwn() throws Exception {
        // The tentacle's own settings (30 s + 10 s) would wait 42 s: longer than the accept timeout below.
        RawListener listener = new RawListener(new KeepAliveSettings(Duration.ofMillis(300), Duration.ofMillis(300))
                .addTo(Identification.server()));
        poll(listener);
        listener.accept(); // then silence: no NEXT, ever

        listener.accept(); // 0.3 s + 0.3 s + the margin later, the subscriber gave up on it and came back
    }

    /** The octopus's client for the tentacle's calculator on {@link #SUBSCRIPTION}. */
    private static Calculator polledCalculator(HalibutRuntime octopus) {
        return octopus.createClient(Calculator.class, new ServiceEndPoint(SUBSCRIPTION, Certificates.TENTACLE_THUMBPRINT));
    }

    /** A real tentacle that serves the calculator by polling {@code octopus} on {@code port}. */
    private void pollWithARealTentacle(HalibutRuntime octopus, int port) {
        HalibutRuntime tentacle = resources.track(HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, new CalculatorService()).build());
        resources.track(tentacle.poll(SUBSCRIPTION,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), octopus.thumbprint())));
    }

    @Test
    void aRequestWhoseSubscriberEndsTheConnectionRightAfterProceedGoesBackToTheQueueForAnotherConnection()
            throws Exception {
        // Window 0: the listener sends NEXT before every request, so the subscriber can end right after PROCEED.
        HalibutRuntime octopus = listener(LONG_KEEP_ALIVE.withHeartbeatSkipWindow(Duration.ZERO));
        int port = listen(octopus);
        RawSubscriber s = new RawSubscriber(octopus, port);
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> polledCalculator(octopus).add(1, 2), OwnThread.EACH);

        assertThat(s.in.readUnsignedByte()).as("NEXT before the request").isEqualTo(0x10);
        assertThat(s.in.readInt()).isZero();
        // PROCEED and END in one write: by the time the listener writes the request, END is there or on its way.
        s.out.write(new byte[] {0x11, 0, 0, 0, 0, END, 0, 0, 0, 0});
        s.out.flush();
        assertThat(s.closedByListener()).isTrue();

        // The request did not run: it went back to the head of the queue, and the next subscriber runs it.
        pollWithARealTentacle(octopus, port);
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(3);
    }

    @Test
    void aRequestAnsweredWithEndInsteadOfAResponseGoesBackToTheQueueForAnotherConnection() throws Exception {
        HalibutRuntime octopus = listener(LONG_KEEP_ALIVE);
        int port = listen(octopus);
        RawSubscriber s = new RawSubscriber(octopus, port);
        Await.until("the subscriber served", Duration.ofSeconds(30), () -> subscriberConnections(octopus) == 1);
        CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> polledCalculator(octopus).add(1, 2), OwnThread.EACH);

        s.expectFrame(0x01); // the REQUEST, unread as far as the protocol goes:
        s.sendFrame(END); // END in place of a RESPONSE says it did not run (protocol.md, section 5)
        assertThat(s.closedByListener()).isTrue();

        pollWithARealTentacle(octopus, port);
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(3);
    }
}
