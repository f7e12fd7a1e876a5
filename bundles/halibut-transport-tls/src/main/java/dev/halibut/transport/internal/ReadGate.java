package dev.halibut.transport.internal;

import io.netty.channel.Channel;
import java.util.concurrent.RejectedExecutionException;

/**
 * Whether a connection reads from its socket: not while its inbox holds more than its bound for the reader, and
 * not while a large message waits for the runtime's memory budget. Either reason alone stops reading; reading goes
 * on only once neither holds, so the reader taking a frame cannot restart reading that the budget stopped (and
 * fill memory with bytes nobody can decode yet). Thread-safe.
 */
public final class ReadGate {

    private final Channel channel;
    private boolean inboxFull;
    private boolean waitingForBudget;

    public ReadGate(Channel channel) {
        this.channel = channel;
    }

    /** The inbox is over (true) or back under (false) its bound. */
    public synchronized void inboxFull(boolean full) {
        inboxFull = full;
        apply();
    }

    /** A message waits for (true) or got (false) its memory. */
    public synchronized void waitingForBudget(boolean waiting) {
        waitingForBudget = waiting;
        apply();
    }

    private void apply() {
        boolean read = !inboxFull && !waitingForBudget;
        if (channel.config().isAutoRead() != read) {
            try {
                channel.config().setAutoRead(read);
            } catch (RejectedExecutionException e) {
                // Turning reading on asks the event loop to read, and it has ended (the runtime closed): its channels
                // were closed with it, so there is nothing more to read. The reader takes the frames it already has,
                // then finds the connection's end, which it reports.
            }
        }
    }
}
