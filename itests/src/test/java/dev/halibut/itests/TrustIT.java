package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceEndPoint;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * trusted.thumbprints, changed through Config Admin, decides who may call the container's exported
 * calculator: a second runtime, plain Java inside the test, is refused, then served, then refused again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TrustIT extends HalibutTestSupport {

    private RuntimeState container;
    private HalibutRuntime caller;

    @Before
    public void listenOnLoopback() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        container = configureListeningRuntime(null, s -> true, own);
    }

    @After
    public void closeCaller() {
        if (caller != null) {
            caller.close();
        }
    }

    @Test
    public void callerIsRefusedUntilItsThumbprintIsTrustedAndAgainOnceItIsRemoved() throws Exception {
        CertificateAndKey identity = Certificates.generateSelfSigned("itest");
        caller = HalibutRuntime.builder().certificate(identity.certificate(), identity.privateKey()).build();
        Calculator calculator = caller.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://127.0.0.1:" + container.port() + "/"), container.thumbprint()));

        // (Not assertThrows: the container's JUnit bundle, from Pax Exam's feature, is 4.12.)
        try {
            int sum = calculator.add(1, 2);
            fail("a caller whose thumbprint is not trusted is refused, yet the call returned " + sum);
        } catch (HalibutClientException expected) {
            // refused
        }

        RuntimeState trusting = configureListeningRuntime(null, s -> true, container.thumbprint(), caller.thumbprint());
        assertEquals("a change of trusted.thumbprints alone keeps the runtime (same service)", container.serviceId(),
                trusting.serviceId());
        AtomicReference<HalibutClientException> lastFailure = new AtomicReference<>();
        Await.until(() -> "a call to succeed once the caller is trusted; last failure: " + lastFailure.get(), () -> {
            try {
                return calculator.add(1, 2) == 3;
            } catch (HalibutClientException e) {
                lastFailure.set(e);
                return false;
            }
        });

        RuntimeState distrusting = configureListeningRuntime(null, s -> true, container.thumbprint());
        assertEquals("a change of trusted.thumbprints alone keeps the runtime (same service)", container.serviceId(),
                distrusting.serviceId());
        Await.until("a new call to be refused once the caller's thumbprint is removed", () -> {
            try {
                calculator.add(1, 2);
                return false;
            } catch (HalibutClientException e) {
                return true;
            }
        });
    }
}
