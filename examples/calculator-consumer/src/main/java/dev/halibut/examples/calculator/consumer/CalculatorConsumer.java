package dev.halibut.examples.calculator.consumer;

import dev.halibut.examples.calculator.Calculator;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
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
 * <p>The calls run synchronously in the bind method: simple, and enough for an example. A remote call
 * that fails (peer unreachable, untrusted, service throwing) is logged as an error naming the endpoint.
 */
@Component(immediate = true, configurationPid = CalculatorConsumer.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class CalculatorConsumer {

    /** The configuration PID of this component. */
    public static final String PID = "dev.halibut.examples.consumer";

    /** The service property of an imported proxy that names its endpoint (OSGi Remote Services). */
    static final String ENDPOINT_ID = "endpoint.id";

    private final Logger log;

    public CalculatorConsumer() {
        this(LoggerFactory.getLogger(CalculatorConsumer.class));
    }

    CalculatorConsumer(Logger log) {
        this.log = log;
    }

    @Reference(name = "Calculator", service = Calculator.class, cardinality = ReferenceCardinality.AT_LEAST_ONE,
            policy = ReferencePolicy.DYNAMIC, target = "(service.imported=true)", unbind = "unbindCalculator")
    void bindCalculator(Calculator calculator, Map<String, Object> properties) {
        Object endpoint = properties.get(ENDPOINT_ID);
        try {
            int sum = calculator.add(1, 2);
            int quotient = calculator.divide(10, 2);
            log.info("Remote calculator at " + endpoint + ": 1 + 2 = " + sum + ", 10 / 2 = " + quotient);
        } catch (RuntimeException e) {
            log.error("Remote calculator at " + endpoint + " failed: " + e, e);
        }
    }

    void unbindCalculator(Calculator calculator, Map<String, Object> properties) {
        log.info("Remote calculator at " + properties.get(ENDPOINT_ID) + " is gone");
    }
}
