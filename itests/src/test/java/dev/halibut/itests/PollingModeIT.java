package dev.halibut.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.halibut.HalibutClientException;
import org.osgi.framework.ServiceException;
import dev.halibut.examples.calculator.Calculator;
import dev.halibut.runtime.RuntimeStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * Polling mode through Config Admin, one runtime playing both parts: it listens on loopback, polls itself
 * for subscription poll://calculator/ (factory PID dev.halibut.poll) and imports the calculator from that
 * subscription, so every call is queued by the listener and collected by the poller.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PollingModeIT extends HalibutTestSupport {

    private static final String SUBSCRIPTION = "poll://calculator/";
    private static final Duration COLLECTION_TIMEOUT = Duration.ofSeconds(2);

    private RuntimeState runtime;
    private Configuration pollConfiguration;
    private Configuration importConfiguration;

    @Before
    public void listenOnLoopbackTrustOurselvesAndCollectQuickly() throws Exception {
        String own = awaitRuntime("the Halibut runtime", s -> true).thumbprint();
        runtime = configureListeningRuntime(properties("polling.collection.timeout", "2s"),
                s -> COLLECTION_TIMEOUT.equals(s.runtime().limits().pollingCollectionTimeout()), own);
    }

    @After
    public void deleteConfigurations() throws Exception {
        for (Configuration c : new Configuration[] {importConfiguration, pollConfiguration}) {
            if (c != null) {
                c.delete();
            }
        }
    }

    @Test
    public void callsAreServedOverPollingAndFailWithinTheCollectionTimeoutOnceNobodyPolls() throws Exception {
        String listener = "https://127.0.0.1:" + runtime.port() + "/";
        pollConfiguration = createFactoryConfiguration(POLL_FACTORY_PID, properties(
                "subscription", SUBSCRIPTION,
                "endpoint", listener,
                "thumbprint", runtime.thumbprint()));
        importConfiguration = createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", SUBSCRIPTION,
                "thumbprint", runtime.thumbprint(),
                "interfaces", CALCULATOR));

        ServiceReference<?> proxy = Await.value("an imported Calculator service for " + SUBSCRIPTION,
                () -> importedCalculators("(halibut.endpoint=" + SUBSCRIPTION + ")").stream().findFirst().orElse(null));
        assertEquals("halibut.endpoint", SUBSCRIPTION, proxy.getProperty("halibut.endpoint"));
        Calculator calculator = (Calculator) bundleContext.getService(proxy);
        try {
            // The poller connects asynchronously: until it does, a call is not collected and fails.
            AtomicReference<RuntimeException> lastFailure = new AtomicReference<>();
            Await.until(() -> "a call over " + SUBSCRIPTION + " to succeed; last failure: " + lastFailure.get(), () -> {
                try {
                    return calculator.add(1, 2) == 3;
                } catch (ServiceException e) {
                    lastFailure.set(e);
                    return false;
                }
            });

            long proxyId = (Long) proxy.getProperty("service.id");
            Await.until(() -> "the consumer component ACTIVE and bound to the polling proxy " + proxyId + "; it is "
                            + stateName(consumerState()) + " bound to " + consumerBoundServiceIds(),
                    () -> Integer.valueOf(ComponentConfigurationDTO.ACTIVE).equals(consumerState())
                            && consumerBoundServiceIds().equals(List.of(proxyId)));

            pollConfiguration.delete();
            pollConfiguration = null;
            // The subscription stops asynchronously: calls succeed until it has. The first failure may be a
            // call collected just before the connection closed, so the one measured is the next.
            Await.until("a call over " + SUBSCRIPTION + " to fail once its poller is gone", () -> {
                try {
                    calculator.add(1, 2);
                    return false;
                } catch (ServiceException e) {
                    return true;
                }
            });
            long start = System.nanoTime();
            ServiceException failure = null;
            try {
                int sum = calculator.add(1, 2);
                fail("nobody polls " + SUBSCRIPTION + " any more, yet the call returned " + sum);
            } catch (ServiceException e) {
                failure = e;
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertTrue("an imported proxy's transport failure is a ServiceException REMOTE caused by the Halibut"
                    + " failure: " + failure, failure.getType() == ServiceException.REMOTE
                    && failure.getCause() instanceof HalibutClientException);
            assertTrue("the call waited for collection (" + elapsed.toMillis() + " ms): " + failure,
                    elapsed.compareTo(COLLECTION_TIMEOUT.minusMillis(500)) >= 0);
            assertTrue("the call failed within the configured collection timeout of " + COLLECTION_TIMEOUT
                    + " (plus slack), not the default 30 s: " + elapsed.toMillis() + " ms: " + failure,
                    elapsed.compareTo(COLLECTION_TIMEOUT.plusSeconds(5)) <= 0);
        } finally {
            bundleContext.ungetService(proxy);
        }
    }

    /** dev.halibut.poll with a wss:// endpoint: the upgrade and the WebSocket frames (netty-codec-http) in Karaf. */
    @Test
    public void callsAreServedOverPollingThroughASecureWebSocket() throws Exception {
        String subscription = "poll://calculator-wss/";
        pollConfiguration = createFactoryConfiguration(POLL_FACTORY_PID, properties(
                "subscription", subscription,
                "endpoint", "wss://127.0.0.1:" + runtime.port() + "/halibut",
                "thumbprint", runtime.thumbprint()));
        importConfiguration = createFactoryConfiguration(IMPORT_FACTORY_PID, properties(
                "endpoint", subscription,
                "thumbprint", runtime.thumbprint(),
                "interfaces", CALCULATOR));

        ServiceReference<?> proxy = Await.value("an imported Calculator service for " + subscription,
                () -> importedCalculators("(halibut.endpoint=" + subscription + ")").stream().findFirst().orElse(null));
        Calculator calculator = (Calculator) bundleContext.getService(proxy);
        try {
            AtomicReference<RuntimeException> lastFailure = new AtomicReference<>();
            Await.until(() -> "a call over " + subscription + " (polling wss://) to succeed; last failure: "
                    + lastFailure.get(), () -> {
                try {
                    return calculator.add(2, 3) == 5;
                } catch (ServiceException e) {
                    lastFailure.set(e);
                    return false;
                }
            });
            // The route, seen from both ends (this runtime polls its own listener): the polling side's
            // subscription and the listener's inbound connection both say wss.
            RuntimeStatus status = runtime.runtime().status();
            assertTrue("the subscription's route is wss: " + status.subscriptions(), status.subscriptions().stream()
                    .anyMatch(s -> s.subscription().toString().equals(subscription) && RuntimeStatus.WSS.equals(s.route())));
            assertTrue("the listener's inbound connection for " + subscription + " came over wss: " + status.inbound(),
                    status.inbound().stream().anyMatch(i -> i.endpoint().equals(subscription)
                            && RuntimeStatus.WSS.equals(i.route())));
        } finally {
            bundleContext.ungetService(proxy);
        }
    }
}
