package dev.halibut.runtime.internal;

import dev.halibut.runtime.HalibutObserver;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's observers, and the one way events reach them: each observer is called in turn and
 * isolated from the others and from the runtime. Its first failure is logged with the stack trace, later
 * ones at debug level; it keeps receiving events.
 */
final class Observers {

    private static final Logger LOG = LoggerFactory.getLogger(Observers.class);

    private final List<HalibutObserver> observers = new CopyOnWriteArrayList<>();
    private final Set<HalibutObserver> failed = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    Observers(List<HalibutObserver> initial) {
        observers.addAll(initial);
    }

    void add(HalibutObserver observer) {
        observers.add(observer);
    }

    void remove(HalibutObserver observer) {
        observers.remove(observer);
        failed.remove(observer);
    }

    /** Whether there is no observer at all. */
    boolean isEmpty() {
        return observers.isEmpty();
    }

    /** Calls {@code event} on every observer; never throws (except for errors of the JVM itself). */
    void fire(String what, Consumer<HalibutObserver> event) {
        for (HalibutObserver o : observers) {
            try {
                event.accept(o);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                if (failed.add(o)) {
                    LOG.warn("Halibut observer {} failed on {}; the runtime carries on, and further failures of this"
                            + " observer are logged at debug level only", o, what, t);
                } else {
                    LOG.debug("Halibut observer {} failed again on {}: {}", o, what, t.toString());
                }
            }
        }
    }
}
