package dev.halibut.registry.internal;

import java.util.function.Supplier;
import org.slf4j.Logger;

final class Configurations {
    private Configurations() {
    }

    /**
     * Parses a component's configuration; a bad one is logged on the component's own logger (where an
     * operator looks for it) before DS records the failed activation.
     */
    static <T> T parse(Logger log, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            log.error("Configuration not applied: {}", e.getMessage());
            throw e;
        }
    }
}
