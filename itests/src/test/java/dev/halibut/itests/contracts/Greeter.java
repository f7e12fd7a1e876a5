package dev.halibut.itests.contracts;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.osgi.util.promise.Promise;

/**
 * The contract of {@code RemoteServicesConformanceIT}: exported by the test itself (several times, with
 * different properties) and imported over loopback. The probe bundle exports this package.
 */
public interface Greeter {
    /** {@code <name>:hello <who>}, naming the export that answered. */
    String greet(String who);

    /** Throws {@link IllegalStateException} with {@code message} on the service side. */
    void fail(String message);

    /** Returns its argument: the data types of the osgi.basic intent, there and back. */
    BasicValues roundTrip(BasicValues values);

    /** Each of these answers asynchronously, once the service side is released. */
    CompletableFuture<String> future(String who);

    CompletionStage<String> stage(String who);

    Promise<String> promise(String who);
}
