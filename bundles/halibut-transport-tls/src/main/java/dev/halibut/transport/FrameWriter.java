package dev.halibut.transport;

import dev.halibut.transport.Connection.RequestWrite;
import dev.halibut.transport.internal.TlsProvider;
import dev.halibut.wire.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The outbound half of a {@link Connection}: queues frames for the peer on the event loop and makes the writer wait
 * (back-pressure) while more than {@link Connection#WRITE_HIGH_WATER} bytes are queued, failing the write and
 * aborting the connection when the peer read nothing for the write timeout. A REQUEST gets one more look at the peer
 * on the event loop before its write, and is withheld if the peer had ended the connection
 * ({@link #requestWrite()} tells which it was); after the peer's close the first other frame is dropped quietly,
 * as a TCP write after the peer's FIN would be, and later ones fail.
 *
 * <p>Holds no lock of its own: what it decides from the connection's end states (the peer's END, its close, a
 * failure, unread frames) it decides holding the {@link FrameInbox}'s lock, the connection's one lock, so that those
 * states cannot change between the check and what it does about them (see {@link FrameInbox}); its own state under
 * that lock is {@link #writesAfterEnd}. It waits for writability on the inbox's condition, which the pipeline
 * signals when the channel's writability changes.
 */
final class FrameWriter {

    /** A frame's type byte and its 4-byte payload length (docs/protocol.md, section 3). */
    static final int FRAME_HEADER = 5;

    private final Connection owner;
    private final AtomicBoolean closed;
    private final Channel channel;
    private final FrameInbox inbox;
    private final long writeTimeoutNanos;
    /** Guarded by the inbox's lock. Frames written after the peer closed: the first is dropped quietly; then fail. */
    private int writesAfterEnd;
    /** The outcome of the last REQUEST's write ({@link #requestWrite()}); completed once it is known. */
    private volatile CompletableFuture<RequestWrite> requestWrite = CompletableFuture.completedFuture(RequestWrite.WRITTEN);
    /** Whether stream frames are built in direct buffers ({@link #streamFrameBuffer}); found on first use. */
    private volatile Boolean directStreamBuffers;

    /** @param closed the connection's "closed here" flag, which the connection sets */
    FrameWriter(Connection owner, AtomicBoolean closed, Channel channel, FrameInbox inbox, Duration writeTimeout) {
        this.owner = owner;
        this.closed = closed;
        this.channel = channel;
        this.inbox = inbox;
        this.writeTimeoutNanos = writeTimeout.toNanos();
    }

    /**
     * Queues one frame for the peer and returns once the queue is below its high-water mark again: the writer
     * waits (back-pressure) while the peer reads slower than it writes, and fails with
     * {@link SocketTimeoutException} (and the connection is aborted) when nothing of the queue was written for
     * the write timeout. {@code length} bytes of {@code payload} ({@code null} when none).
     */
    void writeFrame(FrameType type, byte[] payload, int length) throws IOException {
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
     * if it is not written); see {@link #writeFrame}.
     */
    void writeWholeFrame(FrameType type, ByteBuf frame) throws IOException {
        boolean request = type == FrameType.REQUEST;
        inbox.lock.lock();
        try {
            if (request) {
                String ended = inbox.peerEndedLocked();
                if (ended != null) {
                    requestWrite = CompletableFuture.completedFuture(RequestWrite.WITHHELD);
                    throw new RequestNotWrittenException(withheldMessage(ended)); // released below
                }
            }
            if (quietlyDroppedAfterEndLocked()) {
                frame.release();
                return;
            }
            checkUsableLocked();
        } catch (IOException e) {
            frame.release();
            throw e;
        } finally {
            inbox.lock.unlock();
        }
        if (request) {
            CompletableFuture<RequestWrite> outcome = new CompletableFuture<>();
            requestWrite = outcome;
            writeRequestOnEventLoop(frame, outcome, null);
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
            inbox.failed(cause instanceof IOException io ? io
                    : new IOException("Writing to " + owner.description() + " failed: " + cause, cause));
        }
    }

    /**
     * The checks before a REQUEST that is written with a wait for its response ({@link Connection#sendRequestThenOnReadable}),
     * in one step under the lock: no wait may be pending (one wait at a time), and the peer must not have ended the
     * connection. {@code frame} is released if either fails.
     *
     * @return the outcome the request's write ({@link #writeRequestOnEventLoop}) is to complete
     * @throws IllegalStateException      a wait is pending
     * @throws RequestNotWrittenException the peer had ended the connection
     */
    CompletableFuture<RequestWrite> claimRequestWithWait(ByteBuf frame) throws RequestNotWrittenException {
        CompletableFuture<RequestWrite> outcome = new CompletableFuture<>();
        inbox.lock.lock();
        try {
            if (inbox.waitPendingLocked()) {
                frame.release();
                throw new IllegalStateException(
                        inbox.secondWait("a request and a wait for its response; nothing was sent"));
            }
            String ended = inbox.peerEndedLocked();
            if (ended != null) {
                requestWrite = CompletableFuture.completedFuture(RequestWrite.WITHHELD);
                frame.release();
                throw new RequestNotWrittenException(withheldMessage(ended));
            }
            requestWrite = outcome;
        } finally {
            inbox.lock.unlock();
        }
        return outcome;
    }

    /**
     * The event loop's part of writing a REQUEST: one task that takes the last look at the peer (if it has ended the
     * connection since the caller's checks: END or anything else unasked has arrived, it closed, reset or failed) and
     * then writes {@code frame} or withholds it (failing the connection: docs/protocol.md, section 5, a request that
     * never reached the peer did not run), completing {@code outcome} either way, and then runs {@code afterwards}
     * (if not null) on the event loop. Run at once when called there.
     *
     * @throws RequestNotWrittenException the event loop has shut down: nothing was written
     */
    void writeRequestOnEventLoop(ByteBuf frame, CompletableFuture<RequestWrite> outcome, Runnable afterwards)
            throws RequestNotWrittenException {
        Runnable write = () -> {
            String ended;
            inbox.lock.lock();
            try {
                ended = inbox.peerEndedLocked();
            } finally {
                inbox.lock.unlock();
            }
            if (ended != null) {
                frame.release();
                outcome.complete(RequestWrite.WITHHELD);
                inbox.failed(new RequestNotWrittenException(withheldMessage(ended)));
                Connection.closeNow(channel);
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
        return "The request was not written to " + owner.description() + ": " + why + " before it";
    }

    /** See {@link Connection#requestWrite()}. */
    RequestWrite requestWrite() {
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
            owner.abort(); // here, without the lock: abort() runs the close actions, which take locks of their own
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
        inbox.lock.lock();
        try {
            long pending = channel.bytesBeforeWritable();
            long deadline = System.nanoTime() + writeTimeoutNanos;
            while (!channel.isWritable()) {
                if (quietlyDroppedAfterEndLocked()) {
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
                    return new WriteTimeoutException("Write to " + owner.description() + " timed out: the peer read"
                            + " nothing of the " + pending + " bytes queued for it for "
                            + Duration.ofNanos(writeTimeoutNanos) + " (writeTimeout); the connection is closed");
                }
                // Bounded slices: writability changes are signalled, the peer's slow progress is not.
                inbox.changed.awaitNanos(Math.min(deadline - now, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            checkUsableLocked();
            return null;
        } catch (InterruptedException e) {
            interrupted = true; // kept for the caller, as below
            return owner.interruptedWhileBlocked("writing to");
        } finally {
            inbox.lock.unlock();
            Connection.restoreInterrupt(interrupted);
        }
    }

    /**
     * Lock held. Like a TCP write after the peer's FIN, the first write that finds the connection closed by the
     * peer "succeeds": the read that follows reports the end (EOF, or an END the peer sent before it closed,
     * which says its request was not run). Later writes fail. Not a REQUEST: that is never written once the peer
     * is known to have ended ({@link #writeRequestOnEventLoop}).
     */
    private boolean quietlyDroppedAfterEndLocked() {
        return inbox.peerClosedLocked() && !closed.get() && inbox.failureLocked() == null && writesAfterEnd++ == 0;
    }

    /** Lock held. Throws if the connection cannot carry a write: closed here, failed, or closed by the peer. */
    private void checkUsableLocked() throws IOException {
        if (closed.get()) {
            throw new SocketException("The " + owner + " is closed");
        }
        IOException failure = inbox.failureLocked();
        if (failure != null) {
            throw failure;
        }
        if (inbox.peerClosedLocked()) {
            throw new SocketException("The " + owner + " was closed by the peer");
        }
    }

    /** See {@link Connection#sendControlNow}. */
    boolean sendControlNow(FrameType type) {
        if (type.carriesPayload()) {
            throw new IllegalArgumentException(type + " frames carry a payload");
        }
        inbox.lock.lock();
        try {
            if (closed.get() || inbox.failureLocked() != null || inbox.peerClosedLocked() || !channel.isWritable()) {
                return false;
            }
        } finally {
            inbox.lock.unlock();
        }
        ByteBuf frame = channel.alloc().buffer(FRAME_HEADER);
        frame.writeByte(type.code()).writeInt(0);
        channel.writeAndFlush(frame).addListener(f -> {
            if (!f.isSuccess()) {
                writeFailed(f.cause());
            }
        });
        return true;
    }

    /**
     * Queues a control frame without any check or wait, its failure unobserved: for NEXT from the event loop
     * (liveness) and END before a close, which is best effort.
     */
    void writeControlUnchecked(FrameType type) {
        ByteBuf frame = channel.alloc().buffer(FRAME_HEADER);
        frame.writeByte(type.code()).writeInt(0);
        channel.writeAndFlush(frame);
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
}
