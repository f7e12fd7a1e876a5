package dev.halibut.transport;

import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.transport.internal.StreamData;
import dev.halibut.wire.Frame;
import dev.halibut.wire.ProtocolException;
import dev.halibut.wire.StreamHeader;
import io.netty.buffer.ByteBuf;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stream bodies that follow one received message (docs/protocol.md, "Streams"), readable as they arrive: each
 * {@link DataStream} handed out reads its STREAM_DATA frames from the connection on demand, one frame (at most
 * 64 KiB) at a time, checking the declared length, the STREAM_END and STREAM_ABORT. The bodies come in the listed
 * order, so a stream is stored (in the {@link ReceivedStreamStore}: memory up to 64 KiB, else a temporary file)
 * only when it cannot be read straight through:
 * <ul>
 * <li>a later stream is opened before it was read: it (and any other before the opened one) is stored first;</li>
 * <li>{@link #storeRest()}: the owner is done with the connection (a service returned) while it is unread.</li>
 * </ul>
 * A stream whose reader closes it early, or that is {@linkplain DataStream#discard() discarded}, is skipped: its
 * frames are read and dropped when it comes up. A stream garbage-collected unread, or whose reader is
 * garbage-collected before its end (neither read to the end nor closed), cannot be read by anyone: a caller's
 * connection is closed then (it would otherwise stay the response's for good), a service's stream is skipped. Any failure (STREAM_ABORT, a protocol error, a timeout, the
 * connection's end) aborts the connection and fails every read that follows, naming the stream and the peer.
 *
 * <p>Thread-safe: reads from different threads take turns on the connection.
 */
final class IncomingStreams {

    /** Told once when the streams no longer need the connection. */
    interface Finished {
        /** @param connectionReusable every stream was read to its end or skipped, so the connection is idle again */
        void finished(boolean connectionReusable);
    }

    /** JVM-wide, on the JDK's daemon thread (as {@link ReceivedStreamStore}'s). */
    private static final Cleaner CLEANER = Cleaner.create();

    private final Connection connection;
    private final ReceivedStreamStore store;
    private final Duration timeout;
    private final StreamTransferListener listener;
    private final String source;
    private final Entry[] entries;
    private final boolean closeWhenDropped;
    private final Finished whenFinished;
    private final AtomicBoolean finishedTold = new AtomicBoolean();
    private final AtomicReference<IOException> failure = new AtomicReference<>();
    /** Held while the connection is read; reads of different streams take turns. */
    private final ReentrantLock lock = new ReentrantLock();
    /** The index of the stream whose frames come next on the connection; {@code entries.length} when all came. */
    private int cursor;

    private IncomingStreams(Connection connection, List<StreamHeader> headers, ReceivedStreamStore store,
                            Duration timeout, StreamTransferListener listener, String source,
                            boolean closeWhenDropped, Finished whenFinished) throws ProtocolException {
        checkLimits(connection, headers);
        this.connection = connection;
        this.store = store;
        this.timeout = timeout;
        this.listener = listener;
        this.source = source;
        this.closeWhenDropped = closeWhenDropped;
        this.whenFinished = whenFinished;
        this.entries = new Entry[headers.size()];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = new Entry(headers.get(i));
        }
    }

    /**
     * The streams {@code headers} announce, read from {@code connection} as the service reads them. The connection
     * is the owner's until {@link #storeRest()} returns.
     *
     * @param source what the streams belong to, for messages ("the request X.y from peer")
     * @throws ProtocolException the message announces more streams, or more stream content in all, than this side
     *                           accepts ({@code maxStreamsPerMessage}, {@code maxStreamLengthPerMessage}); nothing
     *                           was read
     */
    static IncomingStreams forService(Connection connection, List<StreamHeader> headers, ReceivedStreamStore store,
                                      Duration timeout, StreamTransferListener listener, String source)
            throws ProtocolException {
        return new IncomingStreams(connection, headers, store, timeout, listener, source, false, null);
    }

    /**
     * The streams {@code headers} announce, read from {@code connection} as the caller reads them.
     * {@code whenFinished} is told once: reusable when every stream was read to its end or discarded (at once when
     * there are none); not reusable when one failed, or one was garbage-collected unread (then the connection is
     * closed: nobody can read what is left on it).
     */
    static IncomingStreams forCaller(Connection connection, List<StreamHeader> headers, ReceivedStreamStore store,
                                     Duration timeout, StreamTransferListener listener, String source,
                                     Finished whenFinished) throws ProtocolException {
        IncomingStreams streams = new IncomingStreams(connection, headers, store, timeout, listener, source, true,
                whenFinished);
        if (headers.isEmpty()) {
            streams.tellFinished(true);
        }
        return streams;
    }

    /**
     * Receives every stream {@code headers} announce into {@code store} now (for a response handed across threads
     * or nodes), waiting at most {@code timeout} for each frame. On failure nothing received is kept.
     */
    static Map<UUID, DataStream> storeAll(Connection connection, List<StreamHeader> headers, ReceivedStreamStore store,
                                          Duration timeout, StreamTransferListener listener, String source)
            throws IOException {
        IncomingStreams streams = new IncomingStreams(connection, headers, store, timeout, listener, source, false, null);
        Map<UUID, DataStream> all = streams.streams();
        boolean ok = false;
        try {
            streams.storeRest();
            ok = true;
            return all;
        } finally {
            if (!ok) {
                all.values().forEach(DataStream::discard);
            }
        }
    }

    private static void checkLimits(Connection connection, List<StreamHeader> headers) throws ProtocolException {
        int maxStreams = connection.maxStreamsPerMessage();
        long maxLength = connection.maxStreamLengthPerMessage();
        if (headers.size() > maxStreams) {
            throw new ProtocolException("The message announces " + headers.size() + " streams, more than the "
                    + maxStreams + " this side accepts (maxStreamsPerMessage)");
        }
        long total = 0;
        for (StreamHeader h : headers) {
            total += h.length(); // each is at most Long.MAX_VALUE and at most 256 are added: check each step
            if (total < 0 || total > maxLength) {
                throw new ProtocolException("The message announces streams of more than " + maxLength
                        + " bytes in all, more than this side accepts (maxStreamLengthPerMessage)");
            }
        }
    }

    /**
     * A new map of the streams by id, in the listed order; each readable once. Not kept here: a stream dropped by
     * its holder can be garbage-collected (then it is skipped, or for a caller its connection closed).
     */
    Map<UUID, DataStream> streams() {
        Map<UUID, DataStream> map = new LinkedHashMap<>();
        for (int i = 0; i < entries.length; i++) {
            Entry e = entries[i];
            DataStream stream = DataStream.received(e.header.id(), e.header.length(), new Content(e));
            CLEANER.register(stream, new Dropped(this, i));
            map.put(e.header.id(), stream);
        }
        return Collections.unmodifiableMap(map);
    }

    /**
     * Stores what is left unread of the streams (skipping those discarded or dropped), so the connection is free
     * and a stream kept by the service stays readable.
     *
     * @throws IOException a stream failed (now or while the service read it): the connection is aborted and no
     *                     response may follow
     */
    void storeRest() throws IOException {
        lock.lock();
        try {
            while (cursor < entries.length) {
                settleAtCursor();
            }
            throwIfFailed();
        } finally {
            lock.unlock();
        }
    }

    /** Whether every stream came off the connection (read, stored or skipped). */
    boolean complete() {
        lock.lock();
        try {
            return cursor == entries.length && failure.get() == null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The exchange ended without {@link #storeRest()} (it failed): nothing more is read, stored streams not yet
     * opened are deleted, and reads still to come fail.
     */
    void abandon(String why) {
        fail(new IOException(why));
        for (Entry e : entries) {
            DataStream stored = e.stored;
            if (stored != null && !e.opened) {
                stored.discard();
            }
        }
    }

    /** Lock held, {@code cursor} in range: takes the stream at the cursor off the connection without a reader. */
    private void settleAtCursor() throws IOException {
        throwIfFailed();
        Entry e = entries[cursor];
        if (e.discarded || e.dropped || (e.reader != null && e.reader.closed)) {
            skipBody(e);
        } else {
            store(e);
        }
    }

    /** Lock held, {@code e} at the cursor: reads and drops the rest of its frames. */
    private void skipBody(Entry e) throws IOException {
        ByteBuf chunk;
        while ((chunk = nextChunk(e)) != null) {
            chunk.release(); // dropped
        }
    }

    /**
     * Lock held, {@code e} at the cursor: stores the rest of it. A reader that had started reading it live goes on
     * from the stored rest.
     */
    private void store(Entry e) throws IOException {
        ReceivedStreamStore.Sink sink;
        try {
            sink = store.create(e.header.id(), e.header.length() - e.received);
        } catch (IOException x) {
            throw fail(x);
        }
        boolean ok = false;
        try {
            ByteBuf chunk;
            while ((chunk = nextChunk(e)) != null) {
                try {
                    sink.write(chunk);
                } catch (IOException x) {
                    throw fail(x);
                } finally {
                    chunk.release();
                }
            }
            DataStream stored;
            try {
                stored = sink.finish();
            } catch (IOException x) {
                throw fail(x);
            }
            ok = true;
            if (e.reader != null) {
                e.reader.rest = stored.openStream();
            } else {
                e.stored = stored;
            }
        } finally {
            if (!ok) {
                sink.abort();
            }
        }
    }

    /**
     * Lock held, {@code e} at the cursor: the next chunk of its body from the connection (a buffer the caller
     * must release), or {@code null} at its checked end (the cursor then moves on, past streams already discarded,
     * and the owner is told once all came).
     */
    private ByteBuf nextChunk(Entry e) throws IOException {
        throwIfFailed();
        StreamHeader h = e.header;
        Object next;
        try {
            next = connection.readStreamFrame(timeout);
        } catch (SocketTimeoutException x) {
            SocketTimeoutException named = new SocketTimeoutException("Nothing of stream " + h.id() + " of " + source
                    + " arrived within " + timeout + " (" + e.received + " of " + h.length() + " bytes received)");
            named.initCause(x);
            throw fail(named);
        } catch (ProtocolException x) {
            throw fail(new ProtocolException("Stream " + h.id() + " of " + source + " failed: " + x.getMessage(), x));
        } catch (EOFException x) {
            EOFException named = new EOFException("Stream " + h.id() + " of " + source + " was cut off after "
                    + e.received + " of " + h.length() + " bytes: the connection was closed");
            named.initCause(x);
            throw fail(named);
        } catch (IOException x) {
            throw fail(new IOException("Stream " + h.id() + " of " + source + " failed after " + e.received + " of "
                    + h.length() + " bytes: " + x.getMessage(), x));
        }
        if (next instanceof StreamData data) {
            e.received += data.length();
            if (e.received > h.length()) {
                data.release();
                throw fail(new ProtocolException("Stream " + h.id() + " of " + source
                        + " sent more than its declared " + h.length() + " bytes"));
            }
            try {
                listener.progress(h.id(), true, e.received, h.length());
            } catch (RuntimeException x) {
                data.release();
                throw x;
            }
            return data.content();
        }
        Frame f = (Frame) next;
        switch (f.type()) {
            case STREAM_END -> {
                ByteBuffer b = ByteBuffer.wrap(f.payload());
                UUID id = new UUID(b.getLong(), b.getLong());
                long length = b.getLong();
                if (!id.equals(h.id()) || length != h.length() || e.received != h.length()) {
                    throw fail(new ProtocolException("Stream " + h.id() + " of " + source + " ended wrongly: expected "
                            + h.length() + " bytes, received " + e.received + "; the end names stream " + id + " of "
                            + length + " bytes"));
                }
                if (h.length() == 0) {
                    listener.progress(h.id(), true, 0, 0);
                }
                e.ended = true;
                cursor++;
                skipDiscarded();
                return null;
            }
            case STREAM_ABORT -> throw fail(new StreamAbortedException("The sender could not finish stream " + h.id()
                    + " of " + source + ": " + new String(f.payload(), StandardCharsets.UTF_8)));
            default -> throw fail(new ProtocolException("Expected the body of stream " + h.id() + " of " + source
                    + " but got a " + f.type() + " frame"));
        }
    }

    /**
     * Lock held, after a stream ended: skips the streams next in line that nobody will read (discarded, dropped, or
     * closed by their reader); tells the owner once every stream came. A caller's discard drains at once, as
     * OkHttp's response body does, so that the connection can go back to the pool.
     */
    private void skipDiscarded() throws IOException {
        if (cursor < entries.length) {
            Entry next = entries[cursor];
            if (next.discarded || next.dropped) {
                skipBody(next); // its end moves the cursor on and comes back here for the one after it
            }
            return;
        }
        tellFinished(true);
    }

    private void throwIfFailed() throws IOException {
        IOException f = failure.get();
        if (f != null) {
            throw f;
        }
    }

    /**
     * Records the first failure, aborts the connection (nothing more can be read from it in order) and tells the
     * owner; returns what to throw.
     */
    private IOException fail(IOException cause) {
        if (failure.compareAndSet(null, cause)) {
            connection.abort();
            tellFinished(false);
        }
        return cause;
    }

    private void tellFinished(boolean reusable) {
        if (whenFinished != null && finishedTold.compareAndSet(false, true)) {
            whenFinished.finished(reusable);
        }
    }

    /** Reads for a DataStream that was opened: live at the cursor, or its stored copy. */
    private InputStream open(Entry e) throws IOException {
        lock.lock();
        try {
            e.opened = true;
            DataStream stored = e.stored;
            if (stored != null) {
                return stored.openStream();
            }
            throwIfFailed();
            int index = indexOf(e);
            while (cursor < index) {
                settleAtCursor(); // the streams before it come first on the wire: store (or skip) them
            }
            LiveInput in = new LiveInput(e, index);
            e.reader = in.state;
            return in;
        } finally {
            lock.unlock();
        }
    }

    /** Releases a stream that was read (a no-op: its reader closed it) or is discarded unread. */
    private void release(Entry e) {
        lock.lock();
        try {
            if (e.opened) {
                return; // read: closing its input skipped or closed what was left
            }
            e.discarded = true;
            DataStream stored = e.stored;
            if (stored != null) {
                stored.discard();
                return;
            }
            if (failure.get() == null && cursor < entries.length && entries[cursor] == e) {
                skipBody(e);
            }
        } catch (IOException x) {
            // Recorded as the failure (the connection is aborted); a discard has nobody to tell.
        } finally {
            lock.unlock();
        }
    }

    private int indexOf(Entry e) {
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] == e) {
                return i;
            }
        }
        throw new IllegalStateException("not a stream of this message");
    }

    /** A DataStream was garbage-collected; runs on the Cleaner's thread, so it never waits for the lock. */
    private void dropped(int index) {
        Entry e = entries[index];
        DataStream stored = e.stored;
        if (stored != null && !e.opened) {
            stored.discard(); // stored and never opened: its file goes now, not when this object goes
            return;
        }
        if (e.opened || e.discarded || e.ended) {
            return; // read or skipped: nothing is left on the connection for it
        }
        e.dropped = true;
        if (closeWhenDropped && !finishedTold.get()) {
            fail(new IOException("Stream " + e.header.id() + " of " + source + " was dropped unread; the"
                    + " connection it was arriving on is closed"));
        }
    }

    /**
     * An opened stream's {@link LiveInput} was garbage-collected before it was read to its end or closed; runs on the
     * Cleaner's thread, so it never waits for the lock. Nobody can read what is left of it: for a caller, the
     * connection it is arriving on is closed (as for a stream dropped unread); for a service, it is skipped when it
     * comes up.
     */
    private void inputDropped(int index, ReaderState reader) {
        Entry e = entries[index];
        if (reader.closed || e.ended || reader.rest != null) {
            return; // closed, read to its end, or its rest stored: nothing is left on the connection for it
        }
        reader.closed = true;
        if (closeWhenDropped && !finishedTold.get()) {
            fail(new IOException("Stream " + e.header.id() + " of " + source + " was dropped before it was read to"
                    + " its end (its InputStream was neither read to the end nor closed); the connection it was"
                    + " arriving on is closed"));
        }
    }

    /**
     * What the streams need to know of an opened stream's reader, kept apart from the {@link LiveInput} itself so
     * that the streams do not keep a reader its holder dropped reachable (its Cleaner could not run).
     */
    private static final class ReaderState {
        /** Closed by its holder (or dropped): what is left of it is skipped. */
        volatile boolean closed;
        /** The stored rest, once a later stream was opened before this one was read to its end. */
        volatile InputStream rest;
    }

    /** One announced stream. Written under the lock; read by the Cleaner's thread too, so volatile. */
    private static final class Entry {
        final StreamHeader header;
        /** Bytes of it taken off the connection. */
        long received;
        volatile boolean opened;
        volatile boolean discarded;
        volatile boolean dropped;
        volatile boolean ended;
        /** Its stored copy, when it was stored before it was opened. */
        volatile DataStream stored;
        /** Its reader's state, once opened live. */
        volatile ReaderState reader;

        Entry(StreamHeader header) {
            this.header = header;
        }
    }

    /** The content behind a handed-out DataStream; must not refer to the DataStream (Cleaner). */
    private final class Content implements DataStream.Content {
        private final Entry entry;

        Content(Entry entry) {
            this.entry = entry;
        }

        @Override
        public InputStream open() throws IOException {
            return IncomingStreams.this.open(entry);
        }

        @Override
        public void release() {
            IncomingStreams.this.release(entry);
        }
    }

    /** The Cleaner's action for a handed-out DataStream; refers to the streams, not to the DataStream. */
    private record Dropped(IncomingStreams streams, int index) implements Runnable {
        @Override
        public void run() {
            streams.dropped(index);
        }
    }

    /**
     * The received buffer a {@link LiveInput} is reading; also its Cleaner's action, so that a reader dropped without
     * close still returns the buffer to its pool. Used under the streams' lock, or by the Cleaner once the input is
     * unreachable.
     */
    private static final class Chunk implements Runnable {
        /** Volatile for the Cleaner's thread. */
        volatile ByteBuf buf;

        void release() {
            if (buf != null) {
                buf.release();
                buf = null;
            }
        }

        @Override
        public void run() {
            release();
        }
    }

    /**
     * The Cleaner's action for a {@link LiveInput}: returns the buffer it was reading to its pool, and tells the
     * streams if it was dropped before its end ({@link #inputDropped}). Refers to the streams, not to the input.
     */
    private record InputDropped(IncomingStreams streams, int index, ReaderState state, Chunk chunk)
            implements Runnable {
        @Override
        public void run() {
            chunk.release();
            streams.inputDropped(index, state);
        }
    }

    /**
     * Reads one stream: frame by frame from the connection while it is at the cursor, or from its stored rest when a
     * later stream was opened first. Closing it before its end skips the rest (read and dropped, nothing stored).
     */
    private final class LiveInput extends InputStream {
        private final Entry entry;
        /** The chunk being read (its buffer released once read, or by the Cleaner if this input is dropped). */
        private final Chunk chunk = new Chunk();
        /** Closed, and the stored rest; shared with the streams, which do not refer to this input. */
        final ReaderState state = new ReaderState();
        private boolean eof;

        LiveInput(Entry entry, int index) {
            this.entry = entry;
            CLEANER.register(this, new InputDropped(IncomingStreams.this, index, state, chunk));
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            lock.lock();
            try {
                if (state.closed) {
                    throw new IOException("Stream " + entry.header.id() + " of " + source + " is closed");
                }
                while (true) {
                    ByteBuf current = chunk.buf;
                    if (current != null) {
                        int n = Math.min(len, current.readableBytes());
                        current.readBytes(b, off, n);
                        if (!current.isReadable()) {
                            chunk.release();
                            if (entry.received == entry.header.length()) {
                                // The last byte is out: take the STREAM_END now, so that a reader who stops after
                                // exactly the declared length (readNBytes) and never closes still frees the connection.
                                ByteBuf more = nextChunk(entry); // null: the end, checked (more is a protocol error)
                                if (more != null) {
                                    more.release(); // not reached: nextChunk fails on data beyond the declared length
                                }
                                eof = true;
                            }
                        }
                        return n;
                    }
                    InputStream rest = state.rest;
                    if (rest != null) {
                        return rest.read(b, off, len);
                    }
                    if (eof) {
                        return -1;
                    }
                    chunk.buf = nextChunk(entry);
                    if (chunk.buf == null) {
                        eof = true;
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int available() {
            lock.lock();
            try {
                ByteBuf current = chunk.buf;
                return current == null ? 0 : current.readableBytes();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                if (state.closed) {
                    return;
                }
                state.closed = true;
                chunk.release();
                InputStream rest = state.rest;
                if (rest != null) {
                    rest.close();
                } else if (!eof && failure.get() == null) {
                    skipBody(entry);
                }
                eof = true;
            } finally {
                lock.unlock();
            }
        }
    }
}
