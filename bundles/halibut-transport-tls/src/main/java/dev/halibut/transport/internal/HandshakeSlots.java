package dev.halibut.transport.internal;

import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Bounds how many of a listener's connections run their blocking TLS handshake and identification at once,
 * each on a thread of its own. A connection beyond the bound waits in a queue, holding no thread, until a
 * handshake finishes. Thread-safe.
 */
public final class HandshakeSlots {

    private final int max;
    private final Queue<Runnable> waiting = new ArrayDeque<>();
    private int busy;
    /** Finished handshakes whose slots are still to be handed on. */
    private int finishes;
    /** Whether a thread is in {@link #finished()}'s loop, handing slots on. */
    private boolean handingOn;

    public HandshakeSlots(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, was " + max);
        }
        this.max = max;
    }

    /**
     * Runs {@code start} now if a slot is free, otherwise when one is. {@code start} must be quick (it starts
     * the handshake on a thread), and its handshake must call {@link #finished()} exactly once; if
     * {@code start} throws, it must call {@link #finished()} itself first.
     */
    public void start(Runnable start) {
        synchronized (this) {
            if (busy >= max) {
                waiting.add(start);
                return;
            }
            busy++;
        }
        start.run();
    }

    /**
     * A handshake started through {@link #start} is over: its slot goes to the next waiting connection. Never
     * recursive: a {@code start} that fails and calls this again (say, every thread refused at shutdown) is
     * handled by the loop of the call that is handing slots on already, so a long queue cannot overflow a stack.
     */
    public void finished() {
        synchronized (this) {
            finishes++;
            if (handingOn) {
                return;
            }
            handingOn = true;
        }
        while (true) {
            Runnable next;
            synchronized (this) {
                if (finishes == 0) {
                    handingOn = false;
                    return;
                }
                finishes--;
                next = waiting.poll();
                if (next == null) {
                    busy = Math.max(0, busy - 1);
                    continue;
                }
            }
            next.run();
        }
    }

    /** Handshakes running now. */
    public synchronized int busy() {
        return busy;
    }

    /** Connections waiting for a slot now. */
    public synchronized int waiting() {
        return waiting.size();
    }
}
