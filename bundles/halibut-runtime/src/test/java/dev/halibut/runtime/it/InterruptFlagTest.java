package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A thread's interrupt flag left set is not a failure of the call: a service that restores the flag before it
 * returns (the Java idiom after catching InterruptedException) still has its result delivered, and a caller whose
 * flag is set when it calls gets its result with the flag still set. (The BSON encoder writes through an
 * interruptible channel; before this was handled, both failed with ClosedByInterruptException, the caller's as "the
 * arguments cannot be encoded".)
 */
class InterruptFlagTest {

    /** The contract of this test. */
    public interface Interrupting {
        int addWithFlagRestored(int a, int b);
    }

    /** Restores the flag before it returns, as code that caught InterruptedException should. */
    static final class RestoresFlag implements Interrupting {
        @Override
        public int addWithFlagRestored(int a, int b) {
            Thread.currentThread().interrupt();
            return a + b;
        }
    }

    private HalibutRuntime caller;
    private HalibutRuntime host;

    @AfterEach
    void stop() throws InterruptedException {
        Thread.interrupted();
        if (caller != null) {
            caller.close();
        }
        if (host != null) {
            host.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
    }

    private Interrupting client(boolean polling) {
        caller = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        host = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Interrupting.class, new RestoresFlag()).build();
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (polling) {
            int port = caller.listen(loopback);
            caller.trust(host.thumbprint());
            URI subscription = URI.create("poll://interrupting/");
            host.poll(subscription, new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), caller.thumbprint()));
            return caller.createClient(Interrupting.class, new ServiceEndPoint(subscription, host.thumbprint()));
        }
        int port = host.listen(loopback);
        host.trust(caller.thumbprint());
        return caller.createClient(Interrupting.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), host.thumbprint()));
    }

    @ParameterizedTest(name = "polling={0}")
    @ValueSource(booleans = {false, true})
    void aServiceThatRestoresItsInterruptFlagStillHasItsResultDelivered(boolean polling) {
        Interrupting remote = client(polling);
        for (int i = 0; i < 5; i++) {
            assertThat(remote.addWithFlagRestored(i, 2)).isEqualTo(i + 2);
        }
    }

    @Test
    void aCallerWhoseInterruptFlagIsSetGetsItsResultAndKeepsTheFlag() {
        Interrupting remote = client(false);
        assertThat(remote.addWithFlagRestored(1, 2)).isEqualTo(3); // connected before the flag is set
        Thread.currentThread().interrupt();
        int result = remote.addWithFlagRestored(40, 2);
        assertThat(Thread.currentThread().isInterrupted()).as("the caller's interrupt flag after the call").isTrue();
        assertThat(result).isEqualTo(42);
    }
}
