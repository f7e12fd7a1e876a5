package dev.halibut.transport;

import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The liveness part of a {@link Connection}: when the peer last proved it is there, and the check an idle
 * connection passes before it carries a request (docs/protocol.md, "Reusing a connection"): at once if the peer
 * was heard from within the heartbeat skip window and the connection is open and quiet, otherwise the NEXT /
 * PROCEED exchange, blocking ({@link #checkAlive}) or on the event loop ({@link #checkAliveAsync}). Nothing but
 * NEXT is sent, so a failed check loses nothing: the caller closes the connection and uses another.
 */
final class Liveness {

    /** The connection's own logger: these lines are about the connection. */
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** Whether an idle connection is open with nothing unread, as far as this side can tell without blocking. */
    enum QuietState { OPEN_AND_QUIET, ENDED, UNKNOWN }

    /** What the checks need of the connection. */
    interface Wire {
        /** See {@link Connection#quietState()}. */
        QuietState quietState();

        /**
         * Whether NEXT can go out on the event loop now: the connection is writable, and nothing has arrived,
         * ended or failed (an idle connection with anything to read is not alive as it should be).
         */
        boolean readyForNext();

        /** Sends NEXT and waits, as a writer does, until it is queued (blocking). */
        void sendNext() throws IOException;

        /** Sends NEXT without waiting (on the event loop). */
        void sendNextNow();

        Frame readFrame(Duration timeout) throws IOException;

        /** The next frame if there is one, without waiting; see {@link Connection#pollFrame()}. */
        Frame pollFrame() throws IOException;

        Connection.ReadableWatch onReadable(Duration timeout, Consumer<Boolean> callback);
    }

    private final Wire wire;
    /** The connection, for messages. */
    private final Object owner;
    /** When a frame was last sent or received. */
    private volatile long lastUsedNanos;
    /** When the peer last proved it is there: the handshake and identification, then every frame read. */
    private volatile long lastHeardNanos;

    /** For a connection that has just been established (and identified): its peer was heard from now. */
    Liveness(Wire wire, Object owner) {
        this.wire = wire;
        this.owner = owner;
        heard();
    }

    /** A frame was sent. */
    void used() {
        lastUsedNanos = System.nanoTime();
    }

    /** A frame was received. */
    void heard() {
        long now = System.nanoTime();
        lastUsedNanos = now;
        lastHeardNanos = now;
    }

    /** Nanos (System.nanoTime) of the last frame sent or received. */
    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** See {@link Connection#readyForRequest}. */
    boolean readyForRequest(Duration heartbeatTimeout, Duration skipWindow) {
        if (System.nanoTime() - lastHeardNanos < skipWindow.toNanos()) {
            switch (wire.quietState()) {
                case OPEN_AND_QUIET -> {
                    return true;
                }
                case ENDED -> {
                    return false;
                }
                case UNKNOWN -> {
                    // cannot tell: the exchange decides
                }
            }
        }
        return checkAlive(heartbeatTimeout);
    }

    /** See {@link Connection#checkAlive}. */
    boolean checkAlive(Duration timeout) {
        try {
            wire.sendNext();
            Frame f = wire.readFrame(timeout);
            if (f.type() == FrameType.PROCEED) {
                return true;
            }
            LOG.warn("{} answered NEXT with {} instead of PROCEED", owner, f.type());
        } catch (IOException e) {
            LOG.debug("{} failed its liveness check: {}", owner, e.toString());
        }
        return false;
    }

    /** See {@link Connection#checkAliveAsync}. */
    void checkAliveAsync(Duration timeout, Consumer<Boolean> result) {
        if (!wire.readyForNext()) {
            result.accept(false);
            return;
        }
        wire.sendNextNow();
        used();
        wire.onReadable(timeout, readable -> {
            boolean alive = false;
            if (readable) {
                try {
                    // On the event loop, which delivers frames: take what is there, never wait.
                    Frame f = wire.pollFrame();
                    if (f == null) {
                        throw new IOException("woken for PROCEED, but no frame was there");
                    }
                    alive = f.type() == FrameType.PROCEED;
                    if (!alive) {
                        LOG.warn("{} answered NEXT with {} instead of PROCEED", owner, f.type());
                    }
                } catch (IOException e) {
                    LOG.debug("{} failed its liveness check: {}", owner, e.toString());
                }
            }
            result.accept(alive);
        });
    }

    /** Whether the peer was heard from less than {@code window} ago (see {@link #readyForRequest}). */
    boolean heardWithin(Duration window) {
        return System.nanoTime() - lastHeardNanos < window.toNanos();
    }
}
