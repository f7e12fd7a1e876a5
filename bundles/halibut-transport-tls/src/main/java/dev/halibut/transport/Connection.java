package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.Thumbprints;
import dev.halibut.transport.internal.FrameDecoder;
import dev.halibut.transport.internal.ReadGate;
import dev.halibut.transport.internal.StreamData;
import dev.halibut.transport.internal.TlsProvider;
import dev.halibut.transport.internal.WebSocketByteStream;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
 */
public final class Connection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** Frames held for the reader before the connection stops reading from the socket. */
    static final int INBOX_HIGH_BYTES = 256 * 1024;
    /** Bytes queued for the peer above which writers wait (the channel is unwritable) ... */
    public static final int WRITE_HIGH_WATER = 256 * 1024;
    /** ... until they fall below this. */
    public static final int WRITE_LOW_WATER = 64 * 1024;
    /** A frame's type byte and its 4-byte payload length (docs/protocol.md, section 3). */
    private static final int FRAME_HEADER = 5;

    private final Channel channel;
    private final Compressor compressor = new Compressor();
    private final int maxMessageSize;
    private final int maxStreams;
    private final long maxStreamLength;
    private final long writeTimeoutNanos;
    private final String remoteThumbprint;
    private final String description;
    private final FrameDecoder decoder;
    private final ReadGate gate;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** When the peer was last heard from, and the checks before an idle connection carries a request. */
    private final Liveness liveness = new Liveness(new LivenessWire(), this);
    /** How long a large message may wait for the budget: what the reader waits for the peer now. */
    private volatile long readWaitNanos;
    /** Whether stream frames are built in direct buffers ({@link #streamFrameBuffer}); found on first use. */
    private volatile Boolean directStreamBuffers;
    /** The identification block the peer sent; see {@link #peerIdentification()}. */
    private volatile Identification peerIdentification;
    /** Whether the Halibut byte stream rides in WebSocket frames (wss://), decided once at {@link #attach}. */
    private volatile boolean overWebSocket;
    /** Guards {@link #closeActions}. */
    private final Object closeLock = new Object();
    private List<Runnable> closeActions;

    /** Guards the inbox state below; signalled when a frame arrives, the channel ends or becomes writable. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** {@link Frame}s, and {@link StreamData} for STREAM_DATA (its buffer released by whoever takes it out). */
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private long inboxBytes;
    private boolean inboxWasFull;
    /** Stream data arrived and its reader is to be woken at the end of this read from the socket. */
    private boolean readerWakeDue;
    private IOException failure;
    private boolean ended;
    /**
     * The peer has sent END. Kept apart from the inbox: a reader may take the END out of the inbox (it reads for
     * the response as soon as the REQUEST is queued) before the event loop's last look at the peer before that
     * REQUEST's write, which must still withhold it.
     */
    private boolean endArrived;
    /** Who waits, without a thread, for the next frame or the end ({@link #onReadable}); at most one. */
    private Watch watch;
    /** Frames written after the peer closed: the first is dropped quietly, as TCP would take it; then writes fail. */
    private int writesAfterEnd;
    /** The outcome of the last REQUEST's write ({@link #requestWrite()}); completed once it is known. */
    private volatile CompletableFuture<RequestWrite> requestWrite = CompletableFuture.completedFuture(RequestWrite.WRITTEN);

    /**
     * A connection over {@code channel}, whose TLS handshake and identification are done. Call
     * {@link #attach(ChannelPipeline)} on the channel's event loop next.
     *
     * @param readWait how long a large message may wait for the budget until the first {@link #readFrame}
     */
    Connection(Channel channel, HalibutLimits limits, MessageMemoryBudget budget, String remoteThumbprint,
               String description, Duration readWait) {
        this.channel = channel;
        this.maxMessageSize = limits.maxMessageSize();
        this.maxStreams = limits.maxStreamsPerMessage();
        this.maxStreamLength = limits.maxStreamLengthPerMessage();
        this.writeTimeoutNanos = limits.writeTimeout().toNanos();
        this.remoteThumbprint = remoteThumbprint;
        this.description = description;
        this.readWaitNanos = readWait.toNanos();
        this.gate = new ReadGate(channel);
        this.decoder = new FrameDecoder(limits.maxMessageSize(), budget, () -> readWaitNanos, gate);
    }

    /** Puts the frame decoder and this connection's inbox at the end of the pipeline. Event loop only. */
    void attach(ChannelPipeline pipeline) {
        // The listener and the connector put the WebSocket carrier in before identification, or not at all.
        overWebSocket = pipeline.get(WebSocketByteStream.class) != null;
        pipeline.addLast("frames", decoder);
        pipeline.addLast("inbox", new Inbox());
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
        writeWholeFrame(type, messageFrame(type, bson));
        touch();
    }

    /**
     * A message frame of {@code type} carrying {@code bson} compressed, checked against the maximum message size
     * before and after compression. Compressed after room for the frame header, and sent from that array: no
     * further copy of the payload. A connection closed here, before or while the message is compressed (its
     * compressor closes with it, from whichever thread closes it), fails as closed, as a write would: nothing was
     * sent.
     */
    private ByteBuf messageFrame(FrameType type, byte[] bson) throws IOException {
        if (bson.length > maxMessageSize) {
            throw new MessageTooLargeException("The message is " + bson.length
                    + " bytes, more than the maximum message size of " + maxMessageSize + " bytes");
        }
        if (closed.get()) {
            throw new SocketException("The " + this + " is closed; the " + type + " was not sent");
        }
        Compressor.Packed packed;
        try {
            packed = compressor.compress(bson, FRAME_HEADER);
        } catch (RuntimeException e) {
            throw closedDuring(e, "its " + type + " was being compressed; it was not sent");
        }
        if (packed.length() > maxMessageSize) {
            throw new MessageTooLargeException("The message compresses to " + packed.length()
                    + " bytes, more than the maximum message size of " + maxMessageSize + " bytes");
        }
        ByteBuf frame = Unpooled.wrappedBuffer(packed.buffer(), 0, packed.end());
        frame.setByte(0, type.code()).setInt(1, packed.length());
        return frame;
    }

    /** Sends a control frame (NEXT, PROCEED, END). */
    public void sendControl(FrameType type) throws IOException {
        writeFrame(type, null);
        touch();
    }

    private void writeFrame(FrameType type, byte[] payload) throws IOException {
        writeFrame(type, payload, payload == null ? 0 : payload.length);
    }

    /**
     * Queues one frame for the peer and returns once the queue is below its high-water mark again: the writer
     * waits (back-pressure) while the peer reads slower than it writes, and fails with
     * {@link SocketTimeoutException} (and the connection is aborted) when nothing of the queue was written for
     * the write timeout.
     */
    private void writeFrame(FrameType type, byte[] payload, int length) throws IOException {
        if (!type.carriesPayload() && length != 0) {
            throw new IllegalArgumentException(type + " frames carry no payload");
        }
        ByteBuf buf = channel.alloc().buffer(FRAME_HEADER + length);
        buf.writeByte(type.code()).writeInt(length);
        if (length > 0) {
            buf.writeBytes(payload, 0, length);
        }
        writeWholeFrame(type, buf);
    }

    /**
     * Queues one whole frame of {@code type} (header and payload in {@code frame}, which this takes over: released
     * if it is not written); see above.
     */
    private void writeWholeFrame(FrameType type, ByteBuf frame) throws IOException {
        boolean request = type == FrameType.REQUEST;
        lock.lock();
        try {
            if (request) {
                String ended = peerEndedLocked();
                if (ended != null) {
                    requestWrite = CompletableFuture.completedFuture(RequestWrite.WITHHELD);
                    throw new RequestNotWrittenException(withheldMessage(ended)); // released below
                }
            }
            if (quietlyDroppedAfterEnd()) {
                frame.release();
                return;
            }
            checkUsableLocked();
        } catch (IOException e) {
            frame.release();
            throw e;
        } finally {
            lock.unlock();
        }
        if (request) {
            writeRequest(frame);
        } else {
            channel.writeAndFlush(frame).addListener(f -> {
                if (!f.isSuccess()) {
                    writeFailed(f.cause());
                }
            });
        }
        awaitWritable();
    }

    private void writeFailed(Throwable cause) {
        if (channel.isOpen()) {
            failed(cause instanceof IOException io ? io
                    : new IOException("Writing to " + description + " failed: " + cause, cause));
        }
    }

    /**
     * Writes a REQUEST frame from the event loop, after one more look at what the event loop knows of the peer:
     * if it has ended the connection (END or anything else unasked has arrived, it closed, reset or failed) since
     * the caller's checks, the request is not written at all, and the connection fails (docs/protocol.md,
     * section 5: a request that never reached the peer did not run). {@link #requestWrite()} tells which it was.
     */
    private void writeRequest(ByteBuf buf) throws IOException {
        CompletableFuture<RequestWrite> outcome = new CompletableFuture<>();
        requestWrite = outcome;
        writeRequestOnEventLoop(buf, outcome, null);
    }

    /**
     * The event loop's part of writing a REQUEST (see {@link #writeRequest}): one task that takes the last look at
     * the peer and then writes {@code frame} or withholds it (failing the connection), completing {@code outcome}
     * either way, and then runs {@code afterwards} (if not null) on the event loop. Run at once when called there.
     *
     * @throws RequestNotWrittenException the event loop has shut down: nothing was written
     */
    private void writeRequestOnEventLoop(ByteBuf frame, CompletableFuture<RequestWrite> outcome, Runnable afterwards)
            throws RequestNotWrittenException {
        Runnable write = () -> {
            String ended;
            lock.lock();
            try {
                ended = peerEndedLocked();
            } finally {
                lock.unlock();
            }
            if (ended != null) {
                frame.release();
                outcome.complete(RequestWrite.WITHHELD);
                failed(new RequestNotWrittenException(withheldMessage(ended)));
                closeNow(channel);
            } else {
                channel.writeAndFlush(frame).addListener(f -> {
                    // A write that did not complete handed not all of the frame to the socket: the peer cannot have
                    // read the whole request, so it cannot have run it.
                    outcome.complete(f.isSuccess() ? RequestWrite.WRITTEN : RequestWrite.FAILED);
                    if (!f.isSuccess()) {
                        writeFailed(f.cause());
                    }
                });
            }
            if (afterwards != null) {
                afterwards.run();
            }
        };
        if (channel.eventLoop().inEventLoop()) {
            write.run();
            return;
        }
        try {
            channel.eventLoop().execute(write);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            frame.release();
            outcome.complete(RequestWrite.WITHHELD);
            throw new RequestNotWrittenException(withheldMessage("this side's event loop had shut down"));
        }
    }

    private String withheldMessage(String why) {
        return "The request was not written to " + description + ": " + why + " before it";
    }

    /**
     * Lock held. Why the peer can read nothing more we write, as far as this side knows without blocking, or
     * {@code null} if the connection is open with nothing unread on it.
     */
    private String peerEndedLocked() {
        if (closed.get()) {
            return "this side had closed the connection";
        }
        if (failure != null) {
            return "the connection had failed (" + failure + ")";
        }
        if (endArrived) {
            return "the peer had ended the connection (END)";
        }
        if (!inbox.isEmpty()) {
            return "the peer had sent a " + typeOf(inbox.peek()) + " frame unasked";
        }
        if (ended || !channel.isActive()) {
            return "the peer had closed the connection";
        }
        if (decoder.inFrame()) {
            return "the peer had started sending a frame unasked";
        }
        return null;
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
        try {
            return requestWrite.get(writeTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            return RequestWrite.WRITTEN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RequestWrite.WRITTEN;
        }
    }

    private void awaitWritable() throws IOException {
        if (channel.isWritable()) {
            return;
        }
        IOException ending = waitUntilWritable();
        if (ending != null) {
            abort(); // here, without the lock: abort() runs the close actions, which take locks of their own
            throw ending;
        }
    }

    /**
     * Waits, holding the lock, until the channel is writable again (or the write is dropped quietly after the peer's
     * end); see {@link #awaitWritable()}.
     *
     * @return {@code null} once the write may go on, or what ends the connection (the caller aborts it): nothing of
     *         the queue was written for the write timeout, or the thread was interrupted
     * @throws IOException the connection is closed or failed
     */
    private IOException waitUntilWritable() throws IOException {
        boolean interrupted = Thread.interrupted();
        lock.lock();
        try {
            long pending = channel.bytesBeforeWritable();
            long deadline = System.nanoTime() + writeTimeoutNanos;
            while (!channel.isWritable()) {
                if (quietlyDroppedAfterEnd()) {
                    return null;
                }
                checkUsableLocked();
                long now = System.nanoTime();
                long p = channel.bytesBeforeWritable();
                if (p < pending) {
                    pending = p; // the peer read some: the timeout runs from its last progress
                    deadline = now + writeTimeoutNanos;
                }
                if (now >= deadline) {
                    return new WriteTimeoutException("Write to " + description + " timed out: the peer read nothing of"
                            + " the " + pending + " bytes queued for it for " + Duration.ofNanos(writeTimeoutNanos)
                            + " (writeTimeout); the connection is closed");
                }
                // Bounded slices: writability changes are signalled, the peer's slow progress is not.
                changed.awaitNanos(Math.min(deadline - now, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            checkUsableLocked();
            return null;
        } catch (InterruptedException e) {
            interrupted = true; // kept for the caller, as below
            return interruptedWhileBlocked("writing to");
        } finally {
            lock.unlock();
            restoreInterrupt(interrupted);
        }
    }

    /**
     * Lock held. Like a TCP write after the peer's FIN, the first write that finds the connection closed by the
     * peer "succeeds": the read that follows reports the end (EOF, or an END the peer sent before it closed,
     * which says its request was not run). Later writes fail. Not a REQUEST: that is never written once the peer
     * is known to have ended ({@link #writeRequest}).
     */
    private boolean quietlyDroppedAfterEnd() {
        return ended && !closed.get() && failure == null && writesAfterEnd++ == 0;
    }

    /**
     * An interrupt that arrives while a thread is blocked on the connection ends the connection: what the blocked
     * call throws once its caller has aborted the connection (without the lock; see {@link #abort()}).
     */
    private InterruptedIOException interruptedWhileBlocked(String what) {
        return new InterruptedIOException("Interrupted while " + what + " " + description + "; the connection is closed");
    }

    private void checkUsableLocked() throws IOException {
        if (closed.get()) {
            throw new SocketException("The " + this + " is closed");
        }
        if (failure != null) {
            throw failure;
        }
        if (ended) {
            throw new SocketException("The " + this + " was closed by the peer");
        }
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
        Watch w = new Watch(callback);
        boolean now;
        lock.lock();
        try {
            if (waitPendingLocked()) {
                throw new IllegalStateException(secondWait("a wait for the next frame"));
            }
            if (timeout != null) {
                readWaitNanos = timeout.toNanos();
            }
            now = readableNow();
            if (!now) {
                watch = w;
            }
        } finally {
            lock.unlock();
        }
        if (now) {
            w.fire(true);
        } else if (timeout != null) {
            try {
                w.timer = channel.eventLoop().schedule(() -> w.fire(false), timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                w.fire(true); // the event loop is shutting down: the connection is ending, readFrame says so
            }
        }
        return w;
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

    /** Lock held. Whether a wait registered with {@link #onReadable} is pending: not called back or cancelled yet. */
    private boolean waitPendingLocked() {
        return watch != null && !watch.fired.get();
    }

    private String secondWait(String what) {
        return "The " + this + " was asked for " + what + " while a wait for the peer is pending on it: one wait at a"
                + " time (the pending one is kept; end it, or let it be called back, first)";
    }

    /** Lock held. Whether readFrame would return or throw at once. */
    private boolean readableNow() {
        return !inbox.isEmpty() || ended || failure != null || closed.get();
    }

    /** Wakes the registered wait, if any, after this side closed or aborted the connection. Call without the lock. */
    private void wakeWatch() {
        Watch w;
        lock.lock();
        try {
            w = takeWatchLocked();
        } finally {
            lock.unlock();
        }
        fire(w);
    }

    /**
     * Lock held, in the same step that made {@link #readFrame} ready (a frame added, the end, a failure): the wait
     * to wake for it, if any. Taking it in that step is what keeps a wake from being spurious: a frame wakes only a
     * wait that was registered before the frame arrived, never one a reader registered after it had already taken
     * that frame with {@link #readFrame} (which is how a wake with nothing to read came about).
     */
    private Watch takeWatchLocked() {
        Watch w = watch;
        watch = null;
        return w;
    }

    /** Wakes {@code w} (if not null) as readable. Call without the lock. */
    private static void fire(Watch w) {
        if (w != null) {
            w.fire(true);
        }
    }

    private final class Watch implements ReadableWatch {
        private final java.util.function.Consumer<Boolean> callback;
        private final AtomicBoolean fired = new AtomicBoolean();
        private volatile java.util.concurrent.ScheduledFuture<?> timer;

        Watch(java.util.function.Consumer<Boolean> callback) {
            this.callback = callback;
        }

        void fire(boolean readable) {
            if (!end()) {
                return;
            }
            Runnable call = () -> {
                try {
                    callback.accept(readable);
                } catch (RuntimeException e) {
                    LOG.error("Serving {} failed unexpectedly; closing it", Connection.this, e);
                    abort();
                }
            };
            if (channel.eventLoop().inEventLoop()) {
                call.run();
            } else {
                try {
                    channel.eventLoop().execute(call);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    call.run(); // the event loop has ended: nothing else can run it
                }
            }
        }

        @Override
        public boolean cancel() {
            return end();
        }

        /** Ends this wait once (its timer stopped, its slot freed); whether this call was the one that ended it. */
        private boolean end() {
            if (!fired.compareAndSet(false, true)) {
                return false;
            }
            var t = timer;
            if (t != null) {
                t.cancel(false);
            }
            lock.lock();
            try {
                if (watch == this) {
                    watch = null;
                }
            } finally {
                lock.unlock();
            }
            return true;
        }
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
        return asFrame(take(timeout));
    }

    /**
     * For {@link IncomingStreams}: like {@link #readFrame}, but a STREAM_DATA frame comes as {@link StreamData},
     * still in the buffers it was decrypted into, which the caller then owns (and must release); any other frame as
     * a {@link Frame}.
     */
    Object readStreamFrame(Duration timeout) throws IOException {
        return take(timeout);
    }

    private Object take(Duration timeout) throws IOException {
        readWaitNanos = timeout.toNanos();
        boolean interrupted = Thread.interrupted();
        Object f = null;
        boolean interruptedHere = false;
        lock.lock();
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (inbox.isEmpty()) {
                throwIfOverLocked();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("Nothing arrived on the " + this + " within " + timeout);
                }
                changed.awaitNanos(left);
            }
            f = takeLocked();
        } catch (InterruptedException e) {
            interruptedHere = true;
            interrupted = true; // kept for the caller
        } finally {
            lock.unlock();
            restoreInterrupt(interrupted);
        }
        if (interruptedHere) {
            abort(); // here, without the lock: abort() runs the close actions, which take locks of their own
            throw interruptedWhileBlocked("reading from");
        }
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
        Object f;
        lock.lock();
        try {
            if (inbox.isEmpty()) {
                throwIfOverLocked();
                return null;
            }
            f = takeLocked();
        } finally {
            lock.unlock();
        }
        heard();
        return asFrame(f);
    }

    private static Frame asFrame(Object taken) {
        return taken instanceof StreamData d ? d.toFrame() : (Frame) taken;
    }

    private static FrameType typeOf(Object inboxEntry) {
        return inboxEntry instanceof StreamData ? FrameType.STREAM_DATA : ((Frame) inboxEntry).type();
    }

    private static int sizeOf(Object inboxEntry) {
        return inboxEntry instanceof StreamData d ? d.length() : ((Frame) inboxEntry).payload().length;
    }

    /**
     * Lock held, this side closed or aborted the connection: drops what nobody will read now (reads fail from here
     * on: the connection is closed), returning the buffers of stream data to their pool.
     */
    private void dropInboxLocked() {
        for (Object entry : inbox) {
            if (entry instanceof StreamData d) {
                d.release();
            }
        }
        inbox.clear();
        inboxBytes = 0;
    }

    /** Lock held, inbox empty: throws if no frame can come any more (closed here, failed, or ended by the peer). */
    private void throwIfOverLocked() throws IOException {
        if (closed.get()) {
            throw new SocketException("The " + this + " is closed");
        }
        if (failure != null) {
            throw failure;
        }
        if (ended) {
            throw new EOFException("The connection was closed by the peer");
        }
    }

    /** Lock held, inbox not empty: the next frame, reading from the socket again once the inbox has room. */
    private Object takeLocked() {
        Object f = inbox.poll();
        inboxBytes -= sizeOf(f);
        if (inboxBytes <= INBOX_HIGH_BYTES / 2 && inboxWasFull) {
            inboxWasFull = false;
            gate.inboxFull(false);
        }
        return f;
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
        try {
            return compressor.decompress(frame.payload(), maxMessageSize);
        } catch (RuntimeException e) {
            throw closedDuring(e, "a received message was being decompressed");
        }
    }

    /**
     * {@code e}, from this connection's compressor, as the close it reports when this connection has been closed
     * (the compressor closes with it, from whichever thread closes it, so a message being compressed or decompressed
     * on another thread finds it closed): a {@link SocketException}, like any use of a closed connection. Anything
     * else is rethrown as it is.
     */
    private SocketException closedDuring(RuntimeException e, String what) {
        if (!closed.get()) {
            throw e;
        }
        SocketException closedHere = new SocketException("The " + this + " was closed while " + what);
        closedHere.initCause(e);
        return closedHere;
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
        lock.lock();
        try {
            if (closed.get() || ended || failure != null || !channel.isActive()
                    || !inbox.isEmpty() || decoder.inFrame()) {
                return Liveness.QuietState.ENDED;
            }
            return Liveness.QuietState.OPEN_AND_QUIET;
        } finally {
            lock.unlock();
        }
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
            lock.lock();
            try {
                // Unexpected frames, an end, or a full write queue on an idle connection: not alive as it should be.
                return channel.isWritable() && !readableNow();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void sendNext() throws IOException {
            sendControl(FrameType.NEXT);
        }

        @Override
        public void sendNextNow() {
            ByteBuf next = channel.alloc().buffer(5);
            next.writeByte(FrameType.NEXT.code()).writeInt(0);
            channel.writeAndFlush(next);
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
        writeFrame(type, payload, length < 0 ? payload.length : length);
        touch();
    }

    /**
     * Writes one whole stream frame that {@link StreamSender} built in {@code frame} (header and payload; from
     * {@link #streamFrameBuffer}), which this takes over; waits as {@link #writeStreamFrame(FrameType, byte[], int)}.
     */
    void writeStreamFrame(FrameType type, ByteBuf frame) throws IOException {
        writeWholeFrame(type, frame);
        touch();
    }

    /**
     * A pooled buffer for a stream frame of up to {@code capacity} bytes (header included), of the kind this
     * connection's TLS engine encrypts from without a copy: an array for the JDK's engine, direct memory for OpenSSL.
     */
    ByteBuf streamFrameBuffer(int capacity) {
        Boolean direct = directStreamBuffers;
        if (direct == null) {
            SslHandler tls = channel.pipeline().get(SslHandler.class);
            direct = tls == null || TlsProvider.encryptsFromDirectBuffers(tls.engine());
            directStreamBuffers = direct;
        }
        return direct ? channel.alloc().directBuffer(capacity) : channel.alloc().heapBuffer(capacity);
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
            ByteBuf end = channel.alloc().buffer(5);
            end.writeByte(FrameType.END.code()).writeInt(0);
            channel.writeAndFlush(end); // close() below lets it out first, or drops it when the peer is gone
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
     * {@link #closedDuring}), the channel closed ({@code now}: without close_notify or flushing), unread frames
     * dropped, blocked readers and writers and the pending wait woken, the compressor closed, the close actions run.
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
        lock.lock();
        try {
            dropInboxLocked();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        wakeWatch();
        compressor.close();
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

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void failed(IOException e) {
        Watch w;
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            changed.signalAll();
            w = takeWatchLocked();
        } finally {
            lock.unlock();
        }
        fire(w);
    }

    /**
     * The end of this connection's pipeline: takes frames into the inbox (and stops reading from the socket
     * while the inbox holds more than {@link #INBOX_HIGH_BYTES}), and wakes the reader and writer on failure,
     * end and writability changes.
     */
    private final class Inbox extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Watch w;
            lock.lock();
            try {
                if (closed.get()) {
                    if (msg instanceof StreamData d) {
                        d.release(); // nobody reads it any more (see dropInboxLocked)
                    }
                    return;
                }
                endArrived |= msg instanceof Frame f && f.type() == FrameType.END;
                inbox.add(msg);
                inboxBytes += sizeOf(msg);
                if (inboxBytes > INBOX_HIGH_BYTES && !inboxWasFull) {
                    inboxWasFull = true;
                    gate.inboxFull(true);
                }
                if (msg instanceof StreamData && inboxBytes < INBOX_HIGH_BYTES / 2) {
                    // A stream's data wakes its reader once per read from the socket (channelReadComplete), not once
                    // per 64 KiB frame: the reader copies a frame out faster than TLS decrypts the next, so it would
                    // park and be woken for every frame. Half the inbox wakes it at once, so it never idles long.
                    readerWakeDue = true;
                    return;
                }
                readerWakeDue = false;
                changed.signalAll();
                // Taken with the frame, not after the unlock: by then a blocking reader may have taken the frame and
                // registered a wait for the next one, which this frame must not wake (it would find nothing).
                w = takeWatchLocked();
            } finally {
                lock.unlock();
            }
            fire(w);
        }

        /**
         * The channel is gone (closed and deregistered) while this connection may not be closed yet: stream data still
         * in the inbox moves out of the pool into plain heap copies, which a late reader can still read and the
         * garbage collector frees if nobody does.
         */
        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            lock.lock();
            try {
                for (int i = inbox.size(); i > 0; i--) {
                    Object entry = inbox.poll();
                    inbox.add(entry instanceof StreamData d ? d.unpooled() : entry); // same order
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Watch w = null;
            lock.lock();
            try {
                if (readerWakeDue) {
                    readerWakeDue = false;
                    changed.signalAll();
                    w = takeWatchLocked();
                }
            } finally {
                lock.unlock();
            }
            fire(w);
            ctx.fireChannelReadComplete();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            IOException e = cause instanceof IOException io ? io
                    : new IOException("The " + Connection.this + " failed: " + cause, cause);
            if (cause instanceof io.netty.handler.codec.DecoderException d && d.getCause() instanceof IOException io) {
                e = io;
            }
            failed(e);
            closeNow(ctx.channel());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Watch w;
            lock.lock();
            try {
                ended = true;
                changed.signalAll();
                w = takeWatchLocked();
            } finally {
                lock.unlock();
            }
            fire(w);
            ctx.fireChannelInactive();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            signal();
            ctx.fireChannelWritabilityChanged();
        }
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
        ByteBuf frame = messageFrame(FrameType.REQUEST, bson);
        CompletableFuture<RequestWrite> outcome = new CompletableFuture<>();
        lock.lock();
        try {
            if (waitPendingLocked()) {
                frame.release();
                throw new IllegalStateException(secondWait("a request and a wait for its response; nothing was sent"));
            }
            String ended = peerEndedLocked();
            if (ended != null) {
                requestWrite = CompletableFuture.completedFuture(RequestWrite.WITHHELD);
                frame.release();
                throw new RequestNotWrittenException(withheldMessage(ended));
            }
            requestWrite = outcome;
        } finally {
            lock.unlock();
        }
        writeRequestOnEventLoop(frame, outcome, () -> {
            touch();
            try {
                onReadable(timeout, callback); // a withheld request has failed the connection: this wakes at once
            } catch (IllegalStateException e) {
                // Another thread registered a wait after the check above, while the write waited for the event loop:
                // the response could not be told from what that wait expects. Neither owner is left without an
                // answer: the connection ends, which calls back the other wait, and this one is called back now.
                LOG.error("{}; closing it", e.getMessage());
                abort();
                new Watch(callback).fire(true);
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
        if (type.carriesPayload()) {
            throw new IllegalArgumentException(type + " frames carry a payload");
        }
        lock.lock();
        try {
            if (closed.get() || failure != null || ended || !channel.isWritable()) {
                return false;
            }
        } finally {
            lock.unlock();
        }
        ByteBuf frame = channel.alloc().buffer(FRAME_HEADER);
        frame.writeByte(type.code()).writeInt(0);
        channel.writeAndFlush(frame).addListener(f -> {
            if (!f.isSuccess()) {
                writeFailed(f.cause());
            }
        });
        touch();
        return true;
    }
}
