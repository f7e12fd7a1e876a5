package dev.halibut.itests.contracts;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Promises;

/** The exported side of {@link Greeter}; async answers wait for {@link #release}. */
public class GreeterService implements Greeter {
    private final String name;
    private final CountDownLatch release = new CountDownLatch(1);

    public GreeterService(String name) {
        this.name = name;
    }

    /** Lets the async methods answer. */
    public void release() {
        release.countDown();
    }

    @Override
    public String greet(String who) {
        return name + ":hello " + who;
    }

    @Override
    public void fail(String message) {
        throw new IllegalStateException(message);
    }

    @Override
    public BasicValues roundTrip(BasicValues values) {
        return values;
    }

    private String awaitRelease(String who) {
        try {
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return greet(who);
    }

    @Override
    public CompletableFuture<String> future(String who) {
        return CompletableFuture.completedFuture(awaitRelease(who));
    }

    @Override
    public CompletionStage<String> stage(String who) {
        return CompletableFuture.completedFuture(awaitRelease(who));
    }

    @Override
    public Promise<String> promise(String who) {
        return Promises.resolved(awaitRelease(who));
    }
}
