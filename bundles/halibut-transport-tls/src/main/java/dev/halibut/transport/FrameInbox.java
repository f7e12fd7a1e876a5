package dev.halibut.transport;

import dev.halibut.transport.internal.FrameDecoder;
import dev.halibut.transport.internal.ReadGate;
import dev.halibut.transport.internal.StreamData;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageMemoryBudget;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound half of a {@link Connection}: the frames the pipeline decoded, held for the connection's reader in a
 * bounded inbox (the connection stops reading from the socket while it holds more than
 * {@link Connection#INBOX_HIGH_BYTES}), the connection's end states as the event loop learns them (the peer's END,
 * its close, a failure), and the one wait without a thread for the next frame ({@link #onReadable}).
 *
 * <p><b>The connection's one lock.</b> {@link #lock} guards everything here, and {@link FrameWriter} takes the same
 * lock (and waits on the same {@link #changed} condition for writability) rather than a lock of its own: some of
 * its checks must see the inbound state and its own in one step. A REQUEST is withheld if the peer's END, anything
 * unasked, or the close arrived before its write ({@link #peerEndedLocked}), and whether a wait is pending
 * ({@link #waitPendingLocked}) is checked in the same step that claims the request's write; the first write after the
 * peer's close is dropped quietly only once ({@link FrameWriter}'s {@code writesAfterEnd}, read against
 * {@link #peerClosedLocked}). Methods named {@code ...Locked} must be called with the lock held. {@code closed}, this
 * side's close, is the connection's own flag (an {@link AtomicBoolean}, set before the lock is taken), read here
 * under the lock.
 */
final class FrameInbox {

    /** Under the connection's name, as before this class was split out of it: the category operators configure. */
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** Guards the state below; shared with {@link FrameWriter} (see the class comment). */
    final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a frame arrives, the channel ends or fails, or becomes writable. */
    final Condition changed = lock.newCondition();

    private final Connection owner;
    private final AtomicBoolean closed;
    private final Channel channel;
    private final FrameDecoder decoder;
    private final ReadGate gate;
    /** How long a large message may wait for the budget: what the reader waits for the peer now. */
    private volatile long readWaitNanos;

    /** {@link Frame}s, and {@link StreamData} for STREAM_DATA (its buffer released by whoever takes it out). */
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private long inboxBytes;
    private boolean inboxWasFull;
    /** Stream data arrived and its reader is to be woken at the end of this read from the socket. */
    private boolean readerWakeDue;
    private IOException failure;
    /** The channel is inactive: the peer closed the connection (or it was closed here). */
    private boolean ended;
    /**
     * The peer has sent END. Kept apart from the inbox: a reader may take the END out of the inbox (it reads for
     * the response as soon as the REQUEST is queued) before the event loop's last look at the peer before that
     * REQUEST's write, which must still withhold it.
     */
    private boolean endArrived;
    /** Who waits, without a thread, for the next frame or the end ({@link #onReadable}); at most one. */
    private Watch watch;

    /**
     * @param closed   the connection's "closed here" flag, which the connection sets
     * @param readWait how long a large message may wait for the budget until the first {@link #take}
     */
    FrameInbox(Connection owner, AtomicBoolean closed, Channel channel, int maxMessageSize,
               MessageMemoryBudget budget, Duration readWait) {
        this.owner = owner;
        this.closed = closed;
        this.channel = channel;
        this.readWaitNanos = readWait.toNanos();
        this.gate = new ReadGate(channel);
        this.decoder = new FrameDecoder(maxMessageSize, budget, () -> readWaitNanos, gate);
    }

    /** Puts the frame decoder and the inbox at the end of the pipeline. Event loop only. */
    void attach(ChannelPipeline pipeline) {
        pipeline.addLast("frames", decoder);
        pipeline.addLast("inbox", new Handler());
    }

    // ---- The reader's side ---------------------------------------------------------------------------------------

    /**
     * The next entry of the inbox (a {@link Frame}, or {@link StreamData} for STREAM_DATA), waiting at most
     * {@code timeout} for it. An interrupt while waiting aborts the connection (without the lock).
     */
    Object take(Duration timeout) throws IOException {
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
                    throw new SocketTimeoutException("Nothing arrived on the " + owner + " within " + timeout);
                }
                changed.awaitNanos(left);
            }
            f = takeLocked();
        } catch (InterruptedException e) {
            interruptedHere = true;
            interrupted = true; // kept for the caller
        } finally {
            lock.unlock();
            Connection.restoreInterrupt(interrupted);
        }
        if (interruptedHere) {
            owner.abort(); // here, without the lock: abort() runs the close actions, which take locks of their own
            throw owner.interruptedWhileBlocked("reading from");
        }
        return f;
    }

    /** The next entry if one has arrived, without waiting; {@code null} when none is there. */
    Object poll() throws IOException {
        lock.lock();
        try {
            if (inbox.isEmpty()) {
                throwIfOverLocked();
                return null;
            }
            return takeLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Lock held, inbox empty: throws if no frame can come any more (closed here, failed, or ended by the peer). */
    private void throwIfOverLocked() throws IOException {
        if (closed.get()) {
            throw new SocketException("The " + owner + " is closed");
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
        if (inboxBytes <= Connection.INBOX_HIGH_BYTES / 2 && inboxWasFull) {
            inboxWasFull = false;
            gate.inboxFull(false);
        }
        return f;
    }

    static Frame asFrame(Object taken) {
        return taken instanceof StreamData d ? d.toFrame() : (Frame) taken;
    }

    private static FrameType typeOf(Object inboxEntry) {
        return inboxEntry instanceof StreamData ? FrameType.STREAM_DATA : ((Frame) inboxEntry).type();
    }

    private static int sizeOf(Object inboxEntry) {
        return inboxEntry instanceof StreamData d ? d.length() : ((Frame) inboxEntry).payload().length;
    }

    // ---- What the connection's state is, as the event loop knows it -------------------------------------------

    /**
     * Lock held. Why the peer can read nothing more we write, as far as this side knows without blocking, or
     * {@code null} if the connection is open with nothing unread on it.
     */
    String peerEndedLocked() {
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

    /** Lock held. What the connection failed with, or {@code null}. */
    IOException failureLocked() {
        return failure;
    }

    /** Lock held. Whether the channel has gone inactive (the peer closed the connection, or it was closed here). */
    boolean peerClosedLocked() {
        return ended;
    }

    /** Lock held. Whether a read would return or throw at once. */
    boolean readableNowLocked() {
        return !inbox.isEmpty() || ended || failure != null || closed.get();
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

    // ---- Changes of state from outside the pipeline -----------------------------------------------------------

    /** The connection failed with {@code e} (the first failure is kept): wakes the reader, writer and wait. */
    void failed(IOException e) {
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
     * This side closed or aborted the connection ({@code closed} is set): drops what nobody will read now (reads fail
     * from here on), returning the buffers of stream data to their pool, and wakes the blocked reader and writer and
     * the pending wait. Call without the lock.
     */
    void closedHere() {
        Watch w;
        lock.lock();
        try {
            for (Object entry : inbox) {
                if (entry instanceof StreamData d) {
                    d.release();
                }
            }
            inbox.clear();
            inboxBytes = 0;
            changed.signalAll();
            w = takeWatchLocked();
        } finally {
            lock.unlock();
        }
        fire(w);
    }

    /** Wakes the blocked reader and writer: the channel's writability changed. */
    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- The one wait without a thread ---------------------------------------------------------------------------

    /** See {@link Connection#onReadable}. */
    Connection.ReadableWatch onReadable(Duration timeout, Consumer<Boolean> callback) {
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
            now = readableNowLocked();
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

    /** Calls {@code callback} back as readable now (on the event loop), as a wait that ended at once would be. */
    void callBackNow(Consumer<Boolean> callback) {
        new Watch(callback).fire(true);
    }

    /** Lock held. Whether a wait registered with {@link #onReadable} is pending: not called back or cancelled yet. */
    boolean waitPendingLocked() {
        return watch != null && !watch.fired.get();
    }

    String secondWait(String what) {
        return "The " + owner + " was asked for " + what + " while a wait for the peer is pending on it: one wait at a"
                + " time (the pending one is kept; end it, or let it be called back, first)";
    }

    /**
     * Lock held, in the same step that made a read ready (a frame added, the end, a failure): the wait to wake for
     * it, if any. Taking it in that step is what keeps a wake from being spurious: a frame wakes only a wait that was
     * registered before the frame arrived, never one a reader registered after it had already taken that frame
     * (which is how a wake with nothing to read came about).
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

    private final class Watch implements Connection.ReadableWatch {
        private final Consumer<Boolean> callback;
        private final AtomicBoolean fired = new AtomicBoolean();
        private volatile java.util.concurrent.ScheduledFuture<?> timer;

        Watch(Consumer<Boolean> callback) {
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
                    LOG.error("Serving {} failed unexpectedly; closing it", owner, e);
                    owner.abort();
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

    // ---- The end of the pipeline ---------------------------------------------------------------------------------

    /**
     * The end of the connection's pipeline: takes frames into the inbox (and stops reading from the socket while the
     * inbox holds more than {@link Connection#INBOX_HIGH_BYTES}), and wakes the reader and writer on failure, end and
     * writability changes.
     */
    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Watch w;
            lock.lock();
            try {
                if (closed.get()) {
                    if (msg instanceof StreamData d) {
                        d.release(); // nobody reads it any more (see closedHere)
                    }
                    return;
                }
                endArrived |= msg instanceof Frame f && f.type() == FrameType.END;
                inbox.add(msg);
                inboxBytes += sizeOf(msg);
                if (inboxBytes > Connection.INBOX_HIGH_BYTES && !inboxWasFull) {
                    inboxWasFull = true;
                    gate.inboxFull(true);
                }
                if (msg instanceof StreamData && inboxBytes < Connection.INBOX_HIGH_BYTES / 2) {
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
         * The channel is gone (closed and deregistered) while the connection may not be closed yet: stream data still
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
                    : new IOException("The " + owner + " failed: " + cause, cause);
            if (cause instanceof io.netty.handler.codec.DecoderException d && d.getCause() instanceof IOException io) {
                e = io;
            }
            failed(e);
            Connection.closeNow(ctx.channel());
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
}
