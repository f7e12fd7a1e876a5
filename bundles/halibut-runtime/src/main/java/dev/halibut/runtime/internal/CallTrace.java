package dev.halibut.runtime.internal;

import dev.halibut.runtime.HalibutObserver.Outcome;

/**
 * One outgoing call as the transports see it: its name, for messages and events, and how it failed, set
 * by the transport just before it throws (the exception alone does not say it reliably).
 */
final class CallTrace {
    final String service;
    final String method;
    final String what;
    private volatile Outcome failure;
    /** Polling: {@link System#nanoTime()} when a service host collected the request; 0 until then. */
    volatile long collectedNanos;

    CallTrace(String service, String method, String what) {
        this.service = service;
        this.method = method;
        this.what = what;
    }

    /** Records how the call failed; the first classification wins. */
    void fail(Outcome outcome) {
        if (failure == null) {
            failure = outcome;
        }
    }

    Outcome failure() {
        return failure;
    }
}
