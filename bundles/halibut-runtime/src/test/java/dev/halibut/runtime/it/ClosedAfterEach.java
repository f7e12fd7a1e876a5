package dev.halibut.runtime.it;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What one test opened, closed after it, the last opened first (a subscription or a hand-made connection before the
 * runtime it reaches). Unlike {@link TestResources}, it checks nothing afterwards: for tests that leave a runtime's
 * threads to end at their own pace.
 */
final class ClosedAfterEach implements AfterEachCallback {

    private final List<AutoCloseable> resources = new ArrayList<>();

    <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        resources.clear();
    }
}
