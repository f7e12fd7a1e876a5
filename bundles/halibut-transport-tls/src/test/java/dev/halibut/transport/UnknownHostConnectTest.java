package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.HalibutLimits;
import dev.halibut.ServiceEndPoint;
import dev.halibut.wire.Identification;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A connect to a host name that does not resolve: each attempt fails with an {@link UnknownHostException} naming the
 * host, the attempts are retried like any other unreachable host (a name server may answer again), and the caller's
 * error names the endpoint and says to check the host name. Both the blocking connect (listening calls) and the asynchronous one
 * (polling) are covered.
 *
 * <p>Surefire runs this class alone in a JVM whose names come only from {@code loopback-only.hosts}
 * ({@code -Djdk.net.hosts.file}, see pom.xml): the lookup fails at once and never asks a name server, so the test
 * stays on loopback and does not depend on the machine's DNS.
 */
class UnknownHostConnectTest {

    private static final Duration LONG = TransportFixture.LONG;
    private static final String UNKNOWN = "no-such-host.halibut.invalid";
    private static final ServiceEndPoint ENDPOINT = new ServiceEndPoint(URI.create("https://" + UNKNOWN + ":10943/"),
            TransportFixture.SERVER.thumbprint());
    /** Three attempts, with the default back-off of 100 ms, then 200 ms between them. */
    private static final HalibutLimits THREE_ATTEMPTS = HalibutLimits.defaults().withConnectAttempts(3);

    private final List<String> failuresTold = new CopyOnWriteArrayList<>();
    private final TlsConnector connector = new TlsConnector(
            new TlsContextFactory(TransportFixture.CLIENT.certificate(), TransportFixture.CLIENT.keys().getPrivate()),
            new TlsConnector.Listener() {
                @Override
                public void connected(ServiceEndPoint endpoint, Identification self, Connection connection) {
                    throw new AssertionError("connected to " + endpoint + ", which has no address");
                }

                @Override
                public void connectFailed(ServiceEndPoint endpoint, Identification self, HalibutClientException failure) {
                    failuresTold.add(failure.getMessage());
                }
            });
    private final ExecutorService steps = Executors.newSingleThreadExecutor(r -> new Thread(r, "connect-steps"));

    @BeforeAll
    static void namesComeOnlyFromTheTestsHostsFile() {
        assertThatThrownBy(() -> InetAddress.getAllByName(UNKNOWN))
                .as("this test must run with -Djdk.net.hosts.file=loopback-only.hosts (its own surefire execution)")
                .isInstanceOf(UnknownHostException.class);
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        connector.close();
        steps.shutdownNow();
        assertThat(steps.awaitTermination(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aBlockingConnectRetriesAnUnresolvedNameThenNamesTheHostAndWhatToCheck() {
        assertThatThrownBy(() -> connector.connect(ENDPOINT, Identification.client(), THREE_ATTEMPTS))
                .isInstanceOf(HalibutClientException.class)
                .hasMessageStartingWith("Could not connect to https://" + UNKNOWN + ":10943/ after 3 attempts in ")
                .hasMessageContaining(UNKNOWN + ": no address for this host name")
                .hasMessageEndingWith("Check the host name in the endpoint's URI, and that this machine's name"
                        + " service (DNS, hosts file) resolves it")
                .cause().isInstanceOf(UnknownHostException.class);
        assertThat(failuresTold).singleElement().satisfies(m -> assertThat(m).contains(UNKNOWN));
    }

    @Test
    void anAsynchronousConnectFailsItsFutureTheSameWayAfterItsAttempts() {
        CompletableFuture<Connection> connecting = connector.connectAsync(ENDPOINT, Identification.client(),
                THREE_ATTEMPTS, steps);

        assertThatThrownBy(() -> connecting.get(LONG.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(HalibutClientException.class)
                .hasMessageStartingWith("Could not connect to https://" + UNKNOWN + ":10943/ after 3 attempts in ")
                .hasMessageContaining(UNKNOWN + ": no address for this host name");
        assertThat(failuresTold).hasSize(1);
    }
}
