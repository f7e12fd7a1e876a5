package dev.halibut.transport;

import dev.halibut.HalibutClientException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The executor of a blocking {@link TlsConnector#connect}: its steps (each attempt's start and the outcome) run on the
 * thread that called it, which waits for them, so a blocking connect resolves names and tells the connector's
 * listener on its own thread, as it always did, through the same {@link ConnectOperation} as an asynchronous one.
 */
final class CallingThreadSteps implements Executor {

    private static final Runnable WAKE_UP = () -> {
    };

    private final LinkedBlockingQueue<Runnable> steps = new LinkedBlockingQueue<>();

    @Override
    public void execute(Runnable step) {
        steps.add(step);
    }

    /**
     * Runs the connect's steps on this thread until it has ended. An interrupt does not disturb an attempt under way
     * but ends a back-off ({@link ConnectOperation#interrupt()}); the thread's interrupt flag is set again on return.
     *
     * @throws HalibutClientException the connect failed (its stack trace is this thread's)
     */
    Connection await(ConnectOperation connect) {
        CompletableFuture<Connection> done = connect.future();
        done.whenComplete((c, e) -> steps.add(WAKE_UP)); // when it ends on another thread (the connector closes)
        boolean interrupted = false;
        try {
            while (!done.isDone()) {
                Runnable step;
                try {
                    step = steps.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                    connect.interrupt();
                    continue;
                }
                step.run();
            }
        } finally {
            Connection.restoreInterrupt(interrupted);
        }
        try {
            return done.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HalibutClientException h) {
                // Made on an event loop; where the caller called from says more than the loop's stack.
                h.fillInStackTrace();
                throw h;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("Connecting failed unexpectedly", cause);
        } catch (CancellationException e) {
            throw new IllegalStateException("A blocking connect's future was cancelled, which nothing may do", e);
        }
    }
}
