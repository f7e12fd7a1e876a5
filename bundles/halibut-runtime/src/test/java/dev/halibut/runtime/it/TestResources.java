package dev.halibut.runtime.it;

import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What one test opened (runtimes, subscriptions, mode pairs): closed after the test in the order added, then
 * a check that no Halibut thread outlived them. A test class owns one in an instance field annotated
 * {@code @RegisterExtension}, so every test class cleans up the same way.
 */
final class TestResources implements AfterEachCallback {

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Closed after the test, after everything added before it. */
    <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Closed after the test before everything else, e.g. a subscription before the runtimes it connects. */
    <T extends AutoCloseable> T addFirst(T resource) {
        resources.add(0, resource);
        return resource;
    }

    /** A caller and a service host wired in {@code mode}, closed after the test. */
    ModePair modePair(Mode mode, UnaryOperator<HalibutRuntime.Builder> services) {
        return add(new ModePair(mode, services));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        List<AutoCloseable> toClose = List.copyOf(resources);
        resources.clear();
        for (AutoCloseable c : toClose) {
            c.close();
        }
        ThreadLeaks.assertNoHalibutThreads();
    }
}
