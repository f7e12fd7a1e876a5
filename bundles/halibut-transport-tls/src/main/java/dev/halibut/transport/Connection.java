package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.Thumbprints;
import dev.halibut.transport.internal.StreamData;
import dev.halibut.transport.internal.WebSocketByteStream;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated, identified TLS connection carrying frames: the blocking facade that a worker thread uses
 * during an exchange. The I/O itself runs on an event loop ({@link EventLoops}): its pipeline decodes frames into
 * a bounded inbox ({@link #INBOX_HIGH_BYTES}; the connection stops reading while the inbox is full), and writes
 * wait while more than {@link #WRITE_HIGH_WATER} bytes are queued for the peer, failing after
 * {@link HalibutLimits#writeTimeout()} without progress. Used by one thread at a time (the caller that owns it,
 * or the worker serving it); {@link #abort()} may be called from any thread to end it at once.
 *
 * <p>This class owns the socket (the channel, its close, the close actions, what the peer identified as) and is the
 * facade its callers use; the work is done by package-private parts, one job each: {@link FrameInbox} (the inbound
 * half: the inbox and its read gate, the end states the event loop learns, the one wait without a thread),
 * {@link FrameWriter} (the outbound half: writes with back-pressure and the write timeout, a REQUEST's last look at
 * the peer and its outcome, writes after the peer's close), {@link MessageCodec} (compression) and {@link Liveness}.
 * The two halves share one lock, the inbox's, because some of the writer's decisions must see the inbound state in
 * the same step (a REQUEST is withheld once END has arrived); this side's close is one flag, {@code closed}, set
 * before anything else in {@link #closeHere} and read by every part.
 */
public final class Connection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** Frames held for the reader before the connection stops reading from the socket. */
    static final int INBOX_HIGH_BYTES = 256 * 1024;
    /** Bytes queued for the peer above which writers wait (the channel is unwritable) ... */
    public static final int WRITE_HIGH_WATER = 256 * 1024;
    /** ... until they fall below this. */
    public static final int WRITE_LOW_WATER = 64 * 1024;
    private final Channel channel;
    private final int maxStreams;
    private final long maxStreamLength;
    private final String remoteThumbprint;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** When the peer was last heard from, and the checks before an idle connection carries a request. */
    private final Liveness liveness = new Liveness(new LivenessWire(), this);
    /** The identification block the peer sent; see {@link #peerIdentification()}. */
    private volatile Identification peerIdentification;
    /** Whether the Halibut byte stream rides in WebSocket frames (wss://), decided once at {@link #attach}. */
    private volatile boolean overWebSocket;
    /** Guards {@link #closeActions}. */
    private final Object closeLock = new Object();
    private List<Runnable> closeActions;

    /** The inbound half: frames for the reader, the end states, the wait for the next frame; owns the one lock. */
    private final FrameInbox inbox;
    /** The outbound half: frame writes with back-pressure and the write timeout, a REQUEST's outcome. */
    private final FrameWriter writer;
    /** Messages compressed into frames and back. */
    private final MessageCodec codec;

    /**
     * A connection over {@code channel}, whose TLS handshake and identification are done. Call
     * {@link #attach(ChannelPipeline)} on the channel's event loop next.
     *
     * @param readWait how long a large message may wait for the budget until the first {@link #readFrame}
     */
    Connection(Channel channel, HalibutLimits limits, MessageMemoryBudget budget, String remoteThumbprint,
               String description, Duration readWait) {
        this.channel = channel;
        this.maxStreams = limits.maxStreamsPerMessage();
        this.maxStreamLength = limits.maxStreamLengthPerMessage();
        this.remoteThumbprint = remoteThumbprint;
        this.description = description;
        this.inbox = new FrameInbox(this, closed, channel, limits.maxMessageSize(), budget, readWait);
        this.writer = new FrameWriter(this, closed, channel, inbox, limits.writeTimeout());
        this.codec = new MessageCodec(this, closed, limits.maxMessageSize());
    }

    /** Puts the frame decoder and this connection's inbox at the end of the pipeline. Event loop only. */
    void attach(ChannelPipeline pipeline) {
        // The listener and the connector put the WebSocket carrier in before identification, or not at all.
        overWebSocket = pipeline.get(WebSocketByteStream.class) != null;
        inbox.attach(pipeline);
    }

    /** The thumbprint of the certificate the peer presented. */
    public String remoteThumbprint() {
        return remoteThumbprint;
    }

    /**
     * The identification block the peer sent (its role, version and headers: a listener's answer tells a
     * subscriber its keep-alive settings, docs/protocol.md section 2); {@code null} for a connection made
     * without identification.
     */
    public Identification peerIdentification() {
        return peerIdentification;
    }

    void identified(Identification peer) {
        this.peerIdentification = peer;
    }

    /**
     * Whether this idle connection is open with nothing unread, asked of the operating system without blocking
     * and without sending anything. {@code false} once the peer has closed it (FIN), reset it, or sent
     * anything while it was idle (END, or bytes nobody asked for): then it must not be used again. For the side
     * that waits for work to send on an idle connection, so that a peer's END or close is noticed without a
     * read blocking on the connection. {@code true} too when it cannot be told (no channel to ask).
     */
    public boolean isQuiet() {
        return quietState() != Liveness.QuietState.ENDED;
    }

    /**
     * Whether this connection carries Halibut in WebSocket frames after an HTTP upgrade ({@code wss://},
     * docs/protocol.md section 6) rather than straight over TLS. On a listener's connection it says which route the
     * peer took to the shared port; an HTTP CONNECT proxy on the way is invisible here either way.
     */
    public boolean overWebSocket() {
        return overWebSocket;
    }

    /** Where this connection goes, for messages: the endpoint URI or the peer's address. */
    public String description() {
        return description;
    }

    /**
     * Runs {@code action} once, on the closing thread, when this connection closes; at once if it is closed
     * already. For bookkeeping (observers, connection counts): the action must be quick and must not throw
     * (what it throws is logged and ignored).
     */
    public void onClose(Runnable action) {
        synchronized (closeLock) {
            if (!closed.get()) {
                if (closeActions == null) {
                    closeActions = new java.util.ArrayList<>(1);
                }
                closeActions.add(action);
                return;
            }
        }
        runCloseAction(action);
    }

    private void runCloseAction(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("A close action of {} failed: {}", this, e.toString());
        }
    }

    /**
     * Compresses and sends a message frame.
     *
     * @throws MessageTooLargeException the message exceeds the maximum message size; nothing was sent
     */
    public void sendMessage(FrameType type, byte[] bson) throws IOException {
        writer.writeWholeFrame(type, codec.messageFrame(type, bson));
        touch();
    }

    /** Sends a control frame (NEXT, PROCEED, END). */
    public void sendControl(FrameType type) throws IOException {
        writer.writeFrame(type, null, 0);
        touch();
    }

    /** How the last REQUEST written on this connection went; see {@link #requestWrite()}. */
    public enum RequestWrite {
        /** Handed in full to the socket: the peer may read it (whether it did, its answer says). */
        WRITTEN,
        /** Not written at all: the peer had ended the connection before it (END, close, reset or failure). */
        WITHHELD,
        /** Its write failed before all of the frame reached the socket: the peer cannot have read it in full. */
        FAILED
    }

    /**
     * How the last REQUEST on this connection went, once its write has completed (waiting for that at most the
     * write timeout; {@link RequestWrite#WRITTEN} if it has not completed by then, so that an unknown outcome is
     * never taken for "not run"). For the requesting side of an exchange that failed: a request that was
     * {@link RequestWrite#WITHHELD withheld} or whose write {@link RequestWrite#FAILED failed} did not run.
     */
    public RequestWrite requestWrite() {
        return writer.requestWrite();
    }

    /**
     * An interrupt that arrives while a thread is blocked on the connection ends the connection: what the blocked
     * call throws once its caller has aborted the connection (without the lock; see {@link #abort()}).
     */
    InterruptedIOException interruptedWhileBlocked(String what) {
        return new InterruptedIOException("Interrupted while " + what + " " + description + "; the connection is closed");
    }

    /** A wait registered with {@link #onReadable}. */
    public interface ReadableWatch {
        /** Stops the wait. @return whether it was stopped before its callback was called (or about to be) */
        boolean cancel();
    }

    /**
     * Waits for the peer without a thread: calls {@code callback} once, on this connection's event loop, with
     * {@code true} as soon as {@link #readFrame} would not block (a frame has arrived, or the connection ended or
     * failed: then it returns or throws at once), or with {@code false} when nothing came within {@code timeout}
     * ({@code null}: no timeout). The callback must not block: it hands blocking work to a worker. A large message
     * arriving meanwhile waits for memory as long as {@code timeout}.
     *
     * <p>One wait at a time: a wait is pending until it is called back or cancelled, and registering another meanwhile
     * is refused, the pending one keeping its place (replacing it would leave its owner never called back: a request
     * whose response it waits for would hang until its caller's response timeout).
     *
     * @throws IllegalStateException a wait is pending on this connection already
     */
    public ReadableWatch onReadable(Duration timeout, java.util.function.Consumer<Boolean> callback) {
        return inbox.onReadable(timeout, callback);
    }

    /**
     * Runs {@code task} on this connection's event loop after {@code delay} (for timers of protocol state that
     * holds no thread, such as a polling connection's keep-alive). The task must not block.
     */
    public java.util.concurrent.Future<?> schedule(Duration delay, Runnable task) {
        return channel.eventLoop().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The liveness exchange without a thread: sends NEXT and calls {@code result} on the event loop with whether
     * PROCEED came within {@code timeout}. Nothing else is sent, so a failure loses nothing.
     */
    public void checkAliveAsync(Duration timeout, java.util.function.Consumer<Boolean> result) {
        liveness.checkAliveAsync(timeout, result);
    }

    /**
     * Reads the next frame, waiting at most {@code timeout} for it, and as long for memory each time a
     * large message's buffer grows while the runtime's budget for incomplete messages is taken.
     *
     * @throws java.net.SocketTimeoutException nothing arrived in time
     * @throws java.io.EOFException            the peer closed the connection between frames
     * @throws ProtocolException               the peer broke the protocol
     * @throws dev.halibut.wire.MessageBudgetExceededException no memory was freed for a large message in time
     */
    public Frame readFrame(Duration timeout) throws IOException {
        Object f = inbox.take(timeout);
        heard();
        return FrameInbox.asFrame(f);
    }

    /**
     * For {@link IncomingStreams}: like {@link #readFrame}, but a STREAM_DATA frame comes as {@link StreamData},
     * still in the buffers it was decrypted into, which the caller then owns (and must release); any other frame as
     * a {@link Frame}.
     */
    Object readStreamFrame(Duration timeout) throws IOException {
        Object f = inbox.take(timeout);
        heard();
        return f;
    }

    /**
     * The next frame if one has arrived, without waiting: for code on the event loop, where nothing may block
     * (an {@link #onReadable} callback). {@code null} when no frame is there (another reader took it first).
     *
     * @throws java.io.EOFException the peer closed the connection between frames
     * @throws IOException          the connection failed or was closed
     */
    public Frame pollFrame() throws IOException {
        Object f = inbox.poll();
        if (f == null) {
            return null;
        }
        heard();
        return FrameInbox.asFrame(f);
    }

    private void heard() {
        liveness.heard();
    }

    /**
     * The decompressed BSON of a message frame, bounded by the maximum message size.
     *
     * @throws ProtocolException the payload is not a well-formed message within the bound
     * @throws SocketException   this connection was closed (by another thread) before or while it was decompressed
     */
    public byte[] messageBytes(Frame frame) throws IOException {
        return codec.messageBytes(frame);
    }

    /**
     * Whether this side has closed or aborted the connection (at once, whichever thread did). Not whether the peer
     * has: {@link #isQuiet()} tells that.
     */
    public boolean isClosed() {
        return closed.get();
    }

    /** Nanos (System.nanoTime) of the last frame sent or received. */
    public long lastUsedNanos() {
        return liveness.lastUsedNanos();
    }

    /**
     * The check before an idle connection carries another request (a pooled connection, or a subscriber's
     * connection that is handed a queued request). If the peer sent a frame less than {@code skipWindow} ago
     * ({@link HalibutLimits#heartbeatSkipWindow()}) and the connection is open with nothing unread (not closed,
     * not reset, no unexpected frame or bytes: known to the event loop without asking the peer), the connection
     * is ready as it is; otherwise the NEXT / PROCEED exchange ({@link #checkAlive}) decides. Either way a
     * {@code false} means nothing of a request was sent: the caller closes this connection and uses another.
     */
    public boolean readyForRequest(Duration heartbeatTimeout, Duration skipWindow) {
        return liveness.readyForRequest(heartbeatTimeout, skipWindow);
    }

    /**
     * Whether this idle connection is still open and has nothing unread, without blocking: a peer that closed
     * the connection (FIN), reset it, or sent anything while it was idle (END, or bytes we did not ask for)
     * makes it unusable.
     */
    Liveness.QuietState quietState() {
        return inbox.quietState();
    }

    /**
     * The liveness exchange: sends NEXT and waits up to {@code timeout} for PROCEED. Nothing else is
     * sent, so a failure here loses nothing; the caller closes this connection and uses another.
     *
     * @return whether the peer answered PROCEED in time
     */
    public boolean checkAlive(Duration timeout) {
        return liveness.checkAlive(timeout);
    }

    /** What {@link Liveness} needs of this connection. */
    private final class LivenessWire implements Liveness.Wire {
        @Override
        public Liveness.QuietState quietState() {
            return Connection.this.quietState();
        }

        @Override
        public boolean readyForNext() {
            inbox.lock.lock();
            try {
                // Unexpected frames, an end, or a full write queue on an idle connection: not alive as it should be.
                return channel.isWritable() && !inbox.readableNowLocked();
            } finally {
                inbox.lock.unlock();
            }
        }

        @Override
        public void sendNext() throws IOException {
            sendControl(FrameType.NEXT);
        }

        @Override
        public void sendNextNow() {
            writer.writeControlUnchecked(FrameType.NEXT);
        }

        @Override
        public Frame readFrame(Duration timeout) throws IOException {
            return Connection.this.readFrame(timeout);
        }

        @Override
        public Frame pollFrame() throws IOException {
            return Connection.this.pollFrame();
        }

        @Override
        public ReadableWatch onReadable(Duration timeout, java.util.function.Consumer<Boolean> callback) {
            return Connection.this.onReadable(timeout, callback);
        }
    }

    /**
     * Writes one frame of a message's stream bodies for {@link StreamSender}, waiting (back-pressure) while the peer
     * reads slower than it is written; {@code length} of {@code payload}, or all of it when negative.
     */
    void writeStreamFrame(FrameType type, byte[] payload, int length) throws IOException {
        writer.writeFrame(type, payload, length < 0 ? payload.length : length);
        touch();
    }

    /**
     * Writes one whole stream frame that {@link StreamSender} built in {@code frame} (header and payload; from
     * {@link #streamFrameBuffer}), which this takes over; waits as {@link #writeStreamFrame(FrameType, byte[], int)}.
     */
    void writeStreamFrame(FrameType type, ByteBuf frame) throws IOException {
        writer.writeWholeFrame(type, frame);
        touch();
    }

    /**
     * A pooled buffer for a stream frame of up to {@code capacity} bytes (header included), of the kind this
     * connection's TLS engine encrypts from without a copy: an array for the JDK's engine, direct memory for OpenSSL.
     */
    ByteBuf streamFrameBuffer(int capacity) {
        return writer.streamFrameBuffer(capacity);
    }

    /** This side's {@code maxStreamsPerMessage}, for {@link IncomingStreams}. */
    int maxStreamsPerMessage() {
        return maxStreams;
    }

    /** This side's {@code maxStreamLengthPerMessage}, for {@link IncomingStreams}. */
    long maxStreamLengthPerMessage() {
        return maxStreamLength;
    }

    /** The thumbprint of the peer's certificate after a handshake. */
    static String peerThumbprint(SslHandler tls) throws SSLException {
        return peerThumbprint(tls.engine());
    }

    static String peerThumbprint(SSLEngine engine) throws SSLException {
        Certificate[] chain = engine.getSession().getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
            throw new SSLException("The peer presented no X.509 certificate");
        }
        return Thumbprints.of((X509Certificate) chain[0]);
    }

    /** Sends END (best effort: without waiting for the peer to read it) and closes. */
    public void closeGracefully() {
        if (closed.get()) {
            return;
        }
        if (channel.isActive()) {
            // close() below lets it out first, or drops it when the peer is gone
            writer.writeControlUnchecked(FrameType.END);
        }
        close();
    }

    /**
     * Closes the connection: what was written goes out first (for at most a few seconds, on the event loop; no
     * thread waits), then the TCP connection is closed. END (see {@link #closeGracefully()}) is the protocol's
     * clean ending.
     */
    @Override
    public void close() {
        closeHere(false);
    }

    /**
     * Ends the connection at once, from any thread, in the same state as {@link #close()} (closed: a blocked read or
     * write and a pending wait find it closed, its close actions have run, nothing more is sent or read), but without
     * TLS close_notify and without letting what is queued for the peer out first: the TCP connection is closed now.
     * Also cuts short a {@link #close()} that is still letting queued bytes out.
     */
    public void abort() {
        closeHere(true);
    }

    /**
     * The end state that {@link #close()} and {@link #abort()} share, reached once, at once, on the calling thread:
     * {@code closed} set (before anything else, so that a thread compressing meanwhile reports the close, see
     * {@link MessageCodec}), the channel closed ({@code now}: without close_notify or flushing), unread frames
     * dropped, blocked readers and writers and the pending wait woken, the message codec's compressor closed, the close actions run.
     * Call without the lock: the close actions take locks of their own.
     */
    private void closeHere(boolean now) {
        if (!closed.compareAndSet(false, true)) {
            if (now) {
                closeNow(channel); // an earlier close() may still be letting queued bytes out
            }
            return;
        }
        if (now) {
            closeNow(channel);
        } else {
            channel.close();
        }
        inbox.closedHere();
        codec.close();
        List<Runnable> actions;
        synchronized (closeLock) {
            actions = closeActions;
            closeActions = null;
        }
        if (actions != null) {
            actions.forEach(this::runCloseAction);
        }
    }

    /** Closes the TCP connection at once, without TLS close_notify or flushing what is queued. */
    static void closeNow(Channel channel) {
        if (!channel.isRegistered()) {
            // Never reached an event loop (its registration failed: no file descriptors left, or the loops are
            // shutting down), so no loop can run the close and none may be asked: close it from here.
            channel.unsafe().close(channel.unsafe().voidPromise());
            return;
        }
        if (channel.eventLoop().inEventLoop()) {
            channel.unsafe().close(channel.unsafe().voidPromise());
        } else if (!channel.eventLoop().isShuttingDown()) {
            channel.eventLoop().execute(() -> channel.unsafe().close(channel.unsafe().voidPromise()));
        } else {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "connection to " + description;
    }

    private void touch() {
        liveness.used();
    }

    /**
     * Kept from the blocking transport for callers that clear a pending interrupt around a frame's I/O: puts the
     * flag back.
     */
    static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static int timeoutMillis(Duration d) {
        long ms = Math.max(1, d.toMillis());
        return ms > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) ms;
    }

    // ---- A small request without a worker thread (the listener's polling fast path, SubscriberSession) ----------
    // Added as one block: a request written from a thread that must not wait, and its response taken on the event
    // loop with onReadable/pollFrame, the way the waiting for work already is.

    /** What an idle connection allows before it carries a request, as far as this side knows without blocking. */
    public enum Readiness {
        /** Heard from within the heartbeat skip window, open, quiet and writable: the request may go at once. */
        READY,
        /** Closed, reset, failed, or the peer sent something while idle: the connection must not carry it. */
        ENDED,
        /** Not heard from recently enough (or cannot tell): NEXT / PROCEED must decide ({@link #readyForRequest}). */
        CHECK
    }

    /**
     * The part of {@link #readyForRequest} that needs no exchange with the peer: never blocks, sends nothing. Only
     * {@link Readiness#READY} lets a request go without {@link #readyForRequest}; a writable channel is part of it,
     * so that a request sent with {@link #sendRequestThenOnReadable} never has to wait for room.
     */
    public Readiness readinessWithoutCheck(Duration skipWindow) {
        if (!liveness.heardWithin(skipWindow)) {
            return Readiness.CHECK;
        }
        return switch (quietState()) {
            case OPEN_AND_QUIET -> channel.isWritable() ? Readiness.READY : Readiness.CHECK;
            case ENDED -> Readiness.ENDED;
            case UNKNOWN -> Readiness.CHECK;
        };
    }

    /** Whether the calling thread is this connection's event loop. */
    public boolean inEventLoop() {
        return channel.eventLoop().inEventLoop();
    }

    /**
     * Sends a REQUEST frame without ever waiting, then waits without a thread for what follows: for a thread that
     * must not block (the one that hands a queued request out, or the event loop) and for a small message on a
     * {@link Readiness#READY} connection, which the socket takes at once. The message is compressed on the calling
     * thread; the write and the wait ({@link #onReadable}, with {@code timeout}) are one task on the event loop (run
     * at once when called there). As with {@link #sendMessage}, the REQUEST is withheld if the event loop finds that
     * the peer has ended the connection before it ({@link #requestWrite()} says which); the connection then fails,
     * so the wait is woken at once and {@link #pollFrame()} reports why.
     *
     * @throws MessageTooLargeException    the message exceeds the maximum message size; nothing was sent
     * @throws RequestNotWrittenException the peer had ended the connection, or the event loop has shut down;
     *                                    nothing was sent
     * @throws IOException                 the connection is closed or failed; nothing was sent
     * @throws IllegalStateException       a wait ({@link #onReadable}) is pending on this connection: one wait at a
     *                                     time; nothing was sent
     */
    public void sendRequestThenOnReadable(byte[] bson, Duration timeout, java.util.function.Consumer<Boolean> callback)
            throws IOException {
        ByteBuf frame = codec.messageFrame(FrameType.REQUEST, bson);
        CompletableFuture<RequestWrite> outcome = writer.claimRequestWithWait(frame);
        writer.writeRequestOnEventLoop(frame, outcome, () -> {
            touch();
            try {
                onReadable(timeout, callback); // a withheld request has failed the connection: this wakes at once
            } catch (IllegalStateException e) {
                // Another thread registered a wait after the check above, while the write waited for the event loop:
                // the response could not be told from what that wait expects. Neither owner is left without an
                // answer: the connection ends, which calls back the other wait, and this one is called back now.
                LOG.error("{}; closing it", e.getMessage());
                abort();
                inbox.callBackNow(callback);
            }
        });
    }

    // ---- For a polling service host that waits for the listener's frames without a thread (wip/scale) ----

    /**
     * Sends a control frame (PROCEED, END) from the event loop, without waiting: for code in an
     * {@link #onReadable} callback, which must not block, answering the listener's NEXT at once. Unlike
     * {@link #sendControl}, it never waits for room: when the connection cannot take the frame now (closed here,
     * failed, closed by the peer, or more than {@link #WRITE_HIGH_WATER} bytes still queued for a peer that has
     * stopped reading an idle connection) it sends nothing and says so.
     *
     * @return whether the frame was queued; {@code false} means the connection is not usable: close it
     */
    public boolean sendControlNow(FrameType type) {
        boolean queued = writer.sendControlNow(type);
        if (queued) {
            touch();
        }
        return queued;
    }
}
