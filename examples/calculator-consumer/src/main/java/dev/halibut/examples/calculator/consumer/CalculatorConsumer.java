package dev.halibut.examples.calculator.consumer;

import dev.halibut.examples.calculator.Calculator;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls every remote {@link Calculator} it is given, once, and logs what came back.
 *
 * <p>The reference only accepts imported services ({@code service.imported=true}), so a local calculator
 * in the same framework is ignored. The target can be narrowed through the configuration PID
 * {@value #PID} with the standard DS property {@code Calculator.target}, e.g.
 * {@code Calculator.target = (&(service.imported=true)(endpoint.id=poll://calculator/))}.
 *
 * <p>The calls run on the component's own thread, not in the bind method: a remote call can take as
 * long as its timeout (a {@code poll://} import waits until its service host collects the request), and
 * DS binds on whichever thread registered the service, which must not be held up meanwhile. A remote
 * call that fails (peer unreachable, untrusted, service throwing) is logged as an error naming the
 * endpoint.
 */
@Component(immediate = true, configurationPid = CalculatorConsumer.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class CalculatorConsumer {

    /** The configuration PID of this component. */
    public static final String PID = "dev.halibut.examples.consumer";

    /** The service property of an imported proxy that names the remote export (OSGi Remote Services). */
    static final String ENDPOINT_ID = "endpoint.id";
    /** The service property of a Halibut import that names the endpoint URI it calls. */
    static final String HALIBUT_ENDPOINT = "halibut.endpoint";

    private final Logger log;
    private final Executor calls;
    private final ExecutorService owned;

    public CalculatorConsumer() {
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "calculator-consumer");
            t.setDaemon(true);
            return t;
        });
        this.log = LoggerFactory.getLogger(CalculatorConsumer.class);
        this.calls = executor;
        this.owned = executor;
    }

    /** For tests: calls run on {@code calls}. */
    CalculatorConsumer(Logger log, Executor calls) {
        this.log = log;
        this.calls = calls;
        this.owned = null;
    }

    /** Ends the call thread; a call in progress is interrupted and ends with its own timeout at the latest. */
    @Deactivate
    void deactivate() throws InterruptedException {
        if (owned != null) {
            owned.shutdownNow();
            if (!owned.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("The calculator-consumer thread is still in a remote call 10 s after deactivation");
            }
        }
    }

    @Reference(name = "Calculator", service = Calculator.class, cardinality = ReferenceCardinality.AT_LEAST_ONE,
            policy = ReferencePolicy.DYNAMIC, target = "(service.imported=true)", unbind = "unbindCalculator")
    void bindCalculator(Calculator calculator, Map<String, Object> properties) {
        Object endpoint = endpointOf(properties);
        calls.execute(() -> callOnce(calculator, endpoint));
    }

    private void callOnce(Calculator calculator, Object endpoint) {
        try {
            int sum = calculator.add(1, 2);
            int quotient = calculator.divide(10, 2);
            log.info("Remote calculator at " + endpoint + ": 1 + 2 = " + sum + ", 10 / 2 = " + quotient);
        } catch (RuntimeException e) {
            log.error("Remote calculator at " + endpoint + " failed: " + e, e);
        }
    }

    void unbindCalculator(Calculator calculator, Map<String, Object> properties) {
        log.info("Remote calculator at " + endpointOf(properties) + " is gone");
    }

    /** Where the calculator lives: a Halibut import's endpoint URI, else (another provider) its endpoint.id. */
    private static Object endpointOf(Map<String, Object> properties) {
        Object uri = properties.get(HALIBUT_ENDPOINT);
        return uri != null ? uri : properties.get(ENDPOINT_ID);
    }
}
