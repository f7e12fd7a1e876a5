package dev.halibut.examples.calculator.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.examples.calculator.Calculator;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntBinaryOperator;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class CalculatorConsumerTest {

    /** One call to the logger: its level (the method name) and its arguments. */
    record LogCall(String level, List<Object> args) {
        String message() {
            return (String) args.get(0);
        }
    }

    private final List<LogCall> calls = new ArrayList<>();

    private final Logger logger = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(),
            new Class<?>[] {Logger.class}, (proxy, method, args) -> {
                switch (method.getName()) {
                    case "trace", "debug", "info", "warn", "error" ->
                            calls.add(new LogCall(method.getName(), Arrays.asList(args)));
                    case "isTraceEnabled", "isDebugEnabled", "isInfoEnabled", "isWarnEnabled", "isErrorEnabled" -> {
                        return true;
                    }
                    case "getName" -> {
                        return "test";
                    }
                    case "toString" -> {
                        return "test logger";
                    }
                    default -> throw new UnsupportedOperationException(method.toString());
                }
                return null;
            });

    private final CalculatorConsumer consumer = new CalculatorConsumer(logger, Runnable::run);

    @Test
    void logsTheResultsOfAWorkingCalculatorWithItsEndpoint() {
        consumer.bindCalculator(working(), Map.of("halibut.endpoint", "https://127.0.0.1:8443/", "endpoint.id", "0b5c-export",
                "service.imported", "true"));

        assertThat(calls).containsExactly(new LogCall("info",
                List.of("Remote calculator at https://127.0.0.1:8443/: 1 + 2 = 3, 10 / 2 = 5")));
    }

    @Test
    void logsWhatTheCalculatorAnsweredNotWhatWasExpected() {
        consumer.bindCalculator(calculator((a, b) -> 42, (a, b) -> -1), Map.of("endpoint.id", "poll://calculator/"));

        assertThat(calls).extracting(LogCall::message)
                .containsExactly("Remote calculator at poll://calculator/: 1 + 2 = 42, 10 / 2 = -1");
    }

    @Test
    void aFailingCalculatorIsLoggedAsAnErrorWithTheException() {
        IllegalStateException failure = new IllegalStateException("connection refused");
        consumer.bindCalculator(calculator(Integer::sum, (a, b) -> {
            throw failure;
        }), Map.of("endpoint.id", "poll://calculator/"));

        assertThat(calls).hasSize(1);
        LogCall call = calls.get(0);
        assertThat(call.level()).isEqualTo("error");
        assertThat(call.message()).isEqualTo(
                "Remote calculator at poll://calculator/ failed: java.lang.IllegalStateException: connection refused");
        assertThat(call.args()).last().isSameAs(failure);
    }

    @Test
    void aFailureOfTheFirstCallDoesNotStopLaterCalculatorsFromBeingCalled() {
        consumer.bindCalculator(calculator((a, b) -> {
            throw new ArithmeticException("boom");
        }, (a, b) -> a / b), Map.of("endpoint.id", "https://a/"));
        consumer.bindCalculator(working(), Map.of("endpoint.id", "https://b/"));

        assertThat(calls).extracting(LogCall::level, LogCall::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple("error",
                        "Remote calculator at https://a/ failed: java.lang.ArithmeticException: boom"),
                org.assertj.core.groups.Tuple.tuple("info",
                        "Remote calculator at https://b/: 1 + 2 = 3, 10 / 2 = 5"));
    }

    /** A calculator whose operations are these functions. */
    private static Calculator calculator(IntBinaryOperator add, IntBinaryOperator divide) {
        return new Calculator() {
            @Override
            public int add(int a, int b) {
                return add.applyAsInt(a, b);
            }

            @Override
            public int divide(int a, int b) {
                return divide.applyAsInt(a, b);
            }
        };
    }

    /** A calculator that calculates. */
    private static Calculator working() {
        return calculator(Integer::sum, (a, b) -> a / b);
    }
}
