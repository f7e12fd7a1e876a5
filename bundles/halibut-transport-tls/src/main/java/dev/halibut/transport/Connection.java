package dev.halibut.transport;

import dev.halibut.HalibutLimits;
import dev.halibut.Thumbprints;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameReader;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.FrameWriter;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.wire.StreamHeader;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated, identified TLS connection carrying frames. Used by one thread at a time (the
 * caller that owns it, or the listener thread serving it); {@link #abort()} may be called from any
 * thread to end it at once.
 */
public final class Connection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final Socket raw;
    private final SSLSocket tls;
    private final InputStream in;
    private final OutputStream out;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final Compressor compressor = new Compressor();
    private final int maxMessageSize;
    private final int maxStreams;
    private final long maxStreamLength;
    private final String remoteThumbprint;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long lastUsedNanos = System.nanoTime();
    /** When the peer last proved it is there: the handshake and identification, then every frame read. */
    private volatile long lastHeardNanos = System.nanoTime();
    /** The identification block the peer sent; see {@link #peerIdentification()}. */
    private volatile Identification peerIdentification;
    /** Guards {@link #closeActions}. */
    private final Object closeLock = new Object();
    private List<Runnable> closeActions;

    Connection(Socket raw, SSLSocket tls, InputStream bufferedIn, OutputStream bufferedOut, HalibutLimits limits,
               MessageMemoryBudget budget, String remoteThumbprint, String description) {
        this.raw = raw;
        this.tls = tls;
        this.in = bufferedIn;
        this.out = bufferedOut;
        this.reader = new FrameReader(in, limits.maxMessageSize(), budget);
        this.writer = new FrameWriter(out);
        this.maxMessageSize = limits.maxMessageSize();
        this.maxStreams = limits.maxStreamsPerMessage();
        this.maxStreamLength = limits.maxStreamLengthPerMessage();
        this.remoteThumbprint = remoteThumbprint;
        this.description = description;
    }

    static InputStream bufferedInput(SSLSocket tls) throws IOException {
        return new BufferedInputStream(tls.getInputStream(), 16 * 1024);
    }

    static OutputStream bufferedOutput(SSLSocket tls) throws IOException {
        return new BufferedOutputStream(tls.getOutputStream(), 16 * 1024);
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
        return quietState() != QuietState.ENDED;
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
        boolean interrupted = Thread.interrupted();
        try {
            sendMessageUninterrupted(type, bson);
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    private void sendMessageUninterrupted(FrameType type, byte[] bson) throws IOException {
        if (bson.length > maxMessageSize) {
            throw new MessageTooLargeException("The message is " + bson.length
                    + " bytes, more than the maximum message size of " + maxMessageSize + " bytes");
        }
        byte[] compressed = compressor.compress(bson);
        if (compressed.length > maxMessageSize) {
            throw new MessageTooLargeException("The message compresses to " + compressed.length
                    + " bytes, more than the maximum message size of " + maxMessageSize + " bytes");
        }
        writer.write(type, compressed);
        touch();
    }

    /** Sends a control frame (NEXT, PROCEED, END). */
    public void sendControl(FrameType type) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            writer.write(type);
        } finally {
            restoreInterrupt(interrupted);
        }
        touch();
    }

    /**
     * Reads the next frame, waiting at most {@code timeout} for each read, and as long for memory each time a
     * large message's buffer grows while the runtime's budget for incomplete messages is taken.
     *
     * @throws java.net.SocketTimeoutException nothing arrived in time
     * @throws java.io.EOFException            the peer closed the connection between frames
     * @throws ProtocolException               the peer broke the protocol
     * @throws dev.halibut.wire.MessageBudgetExceededException no memory was freed for a large message in time
     */
    public Frame readFrame(Duration timeout) throws IOException {
        boolean interrupted = Thread.interrupted();
        Frame f;
        try {
            tls.setSoTimeout(timeoutMillis(timeout));
            f = reader.read(timeout);
        } finally {
            restoreInterrupt(interrupted);
        }
        long now = System.nanoTime();
        lastUsedNanos = now;
        lastHeardNanos = now;
        return f;
    }

    /** The decompressed BSON of a message frame, bounded by the maximum message size. */
    public byte[] messageBytes(Frame frame) throws ProtocolException {
        return compressor.decompress(frame.payload(), maxMessageSize);
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Nanos (System.nanoTime) of the last frame sent or received. */
    public long lastUsedNanos() {
        return lastUsedNanos;
    }

    /**
     * The check before an idle connection carries another request (a pooled connection, or a subscriber's
     * connection that is handed a queued request). If the peer sent a frame less than {@code skipWindow} ago
     * ({@link HalibutLimits#heartbeatSkipWindow()}) and the operating system reports the connection open with
     * nothing unread (not closed, not reset, no unexpected bytes: asked without blocking and without sending
     * anything), the connection is ready as it is; otherwise the NEXT / PROCEED exchange ({@link #checkAlive})
     * decides. Either way a {@code false} means nothing of a request was sent: the caller closes this
     * connection and uses another.
     */
    public boolean readyForRequest(Duration heartbeatTimeout, Duration skipWindow) {
        if (System.nanoTime() - lastHeardNanos < skipWindow.toNanos()) {
            switch (quietState()) {
                case OPEN_AND_QUIET -> {
                    return true;
                }
                case ENDED -> {
                    return false;
                }
                case UNKNOWN -> {
                    // no channel to ask: the exchange decides
                }
            }
        }
        return checkAlive(heartbeatTimeout);
    }

    enum QuietState { OPEN_AND_QUIET, ENDED, UNKNOWN }

    /**
     * Asks the operating system, without blocking, whether this idle connection is still open and has
     * nothing unread. A peer that closed the connection (FIN), reset it, or sent anything while it was idle
     * (END, or bytes we did not ask for) makes it unusable. Needs the socket's channel (every connection the
     * connector and the listener make has one); {@code UNKNOWN} without it.
     */
    QuietState quietState() {
        SocketChannel channel = raw.getChannel();
        if (channel == null || closed.get()) {
            return closed.get() ? QuietState.ENDED : QuietState.UNKNOWN;
        }
        try {
            if (in.available() > 0) {
                return QuietState.ENDED; // decrypted or buffered bytes nobody asked for
            }
            ByteBuffer one = ByteBuffer.allocate(1);
            int n;
            synchronized (channel.blockingLock()) {
                channel.configureBlocking(false);
                try {
                    n = channel.read(one);
                } finally {
                    channel.configureBlocking(true);
                }
            }
            // -1: the peer closed it; > 0: a byte of a TLS record was taken, so the stream cannot be read any more.
            return n == 0 ? QuietState.OPEN_AND_QUIET : QuietState.ENDED;
        } catch (IOException | RuntimeException e) {
            LOG.debug("{} cannot be reused: {}", this, e.toString());
            return QuietState.ENDED;
        }
    }

    /**
     * The liveness exchange: sends NEXT and waits up to {@code timeout} for PROCEED. Nothing else is
     * sent, so a failure here loses nothing; the caller closes this connection and uses another.
     *
     * @return whether the peer answered PROCEED in time
     */
    public boolean checkAlive(Duration timeout) {
        try {
            sendControl(FrameType.NEXT);
            Frame f = readFrame(timeout);
            if (f.type() == FrameType.PROCEED) {
                return true;
            }
            LOG.warn("{} answered NEXT with {} instead of PROCEED", this, f.type());
        } catch (IOException e) {
            LOG.debug("{} failed its liveness check: {}", this, e.toString());
        }
        return false;
    }

    /**
     * Sends the bodies of {@code streams} (announced by the message just sent), in order, in chunks of at
     * most 64 KiB. If a stream's source fails (its writer throws, a file cannot be read, or it yields
     * more or fewer bytes than its length), STREAM_ABORT is sent and {@link StreamSourceException}
     * thrown; the connection must not be reused either way.
     */
    public void sendStreams(List<DataStream> streams, StreamTransferListener listener) throws IOException {
        if (streams.isEmpty()) {
            return;
        }
        for (DataStream stream : streams) {
            ChunkOutput chunks = new ChunkOutput(stream, listener);
            try {
                stream.writeContentTo(chunks);
                chunks.finish();
            } catch (ChunkOutput.TransportFailure e) {
                throw e.getCause();
            } catch (IOException | RuntimeException e) {
                for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                    if (c instanceof ChunkOutput.TransportFailure t) {
                        throw t.getCause(); // a writer wrapped our connection's failure: it is still the connection
                    }
                }
                String reason = "stream " + stream.id() + " could not be sent: " + e;
                boolean interrupted = Thread.interrupted();
                try {
                    writer.write(FrameType.STREAM_ABORT, truncatedUtf8(reason));
                } catch (IOException alsoBroken) {
                    // The connection is failing too; the peer learns from the close instead.
                } finally {
                    restoreInterrupt(interrupted);
                }
                throw new StreamSourceException(reason, e);
            }
            byte[] end = ByteBuffer.allocate(FrameType.STREAM_END_SIZE).putLong(stream.id().getMostSignificantBits())
                    .putLong(stream.id().getLeastSignificantBits()).putLong(stream.length()).array();
            boolean interrupted = Thread.interrupted();
            try {
                writer.write(FrameType.STREAM_END, end);
            } finally {
                restoreInterrupt(interrupted);
            }
        }
        touch();
    }

    /**
     * Receives the bodies announced by {@code headers} into {@code store}, waiting at most {@code timeout}
     * for each read. On any failure everything received so far is released before the exception.
     *
     * @throws ProtocolException the message announces more streams, or more stream content in all, than this
     *                           side's limits allow ({@code maxStreamsPerMessage}, {@code maxStreamLengthPerMessage});
     *                           checked before anything is stored
     */
    public Map<UUID, DataStream> receiveStreams(List<StreamHeader> headers, ReceivedStreamStore store,
                                                Duration timeout, StreamTransferListener listener) throws IOException {
        checkStreamLimits(headers);
        Map<UUID, DataStream> received = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (StreamHeader h : headers) {
                received.put(h.id(), receiveStream(h, store, timeout, listener));
            }
            ok = true;
            return received;
        } finally {
            if (!ok) {
                received.values().forEach(DataStream::discard);
            }
        }
    }

    private void checkStreamLimits(List<StreamHeader> headers) throws ProtocolException {
        if (headers.size() > maxStreams) {
            throw new ProtocolException("The message announces " + headers.size() + " streams, more than the "
                    + maxStreams + " this side accepts (maxStreamsPerMessage)");
        }
        long total = 0;
        for (StreamHeader h : headers) {
            total += h.length(); // each is at most Long.MAX_VALUE and at most 256 are added: check each step
            if (total < 0 || total > maxStreamLength) {
                throw new ProtocolException("The message announces streams of more than " + maxStreamLength
                        + " bytes in all, more than this side accepts (maxStreamLengthPerMessage)");
            }
        }
    }

    private DataStream receiveStream(StreamHeader h, ReceivedStreamStore store, Duration timeout,
                                     StreamTransferListener listener) throws IOException {
        ReceivedStreamStore.Sink sink = store.create(h.id(), h.length());
        boolean ok = false;
        try {
            long got = 0;
            while (true) {
                Frame f = readFrame(timeout);
                switch (f.type()) {
                    case STREAM_DATA -> {
                        got += f.payload().length;
                        if (got > h.length()) {
                            throw new ProtocolException("Stream " + h.id() + " sent more than its declared " + h.length() + " bytes");
                        }
                        sink.write(f.payload());
                        listener.progress(h.id(), true, got, h.length());
                    }
                    case STREAM_END -> {
                        ByteBuffer b = ByteBuffer.wrap(f.payload());
                        UUID id = new UUID(b.getLong(), b.getLong());
                        long length = b.getLong();
                        if (!id.equals(h.id()) || length != h.length() || got != h.length()) {
                            throw new ProtocolException("Stream " + h.id() + " ended wrongly: expected " + h.length()
                                    + " bytes, received " + got + "; the end names stream " + id + " of " + length + " bytes");
                        }
                        DataStream s = sink.finish();
                        ok = true;
                        if (h.length() == 0) {
                            listener.progress(h.id(), true, 0, 0);
                        }
                        return s;
                    }
                    case STREAM_ABORT -> throw new StreamAbortedException("The sender could not finish stream " + h.id()
                            + ": " + new String(f.payload(), StandardCharsets.UTF_8));
                    default -> throw new ProtocolException("Expected the body of stream " + h.id() + " but got a "
                            + f.type() + " frame");
                }
            }
        } finally {
            if (!ok) {
                sink.abort();
            }
        }
    }

    private static byte[] truncatedUtf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= FrameType.MAX_REASON ? b : java.util.Arrays.copyOf(b, FrameType.MAX_REASON);
    }

    /** Cuts a stream's content into STREAM_DATA frames and checks it matches the declared length. */
    private final class ChunkOutput extends OutputStream {
        private final DataStream stream;
        private final StreamTransferListener listener;
        private final byte[] buf = new byte[FrameType.MAX_STREAM_CHUNK];
        private int used;
        private long total;

        ChunkOutput(DataStream stream, StreamTransferListener listener) {
            this.stream = stream;
            this.listener = listener;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (total + used + len > stream.length()) {
                throw new IOException("more than the declared " + stream.length() + " bytes were written");
            }
            while (len > 0) {
                int n = Math.min(len, buf.length - used);
                System.arraycopy(b, off, buf, used, n);
                used += n;
                off += n;
                len -= n;
                if (used == buf.length) {
                    emit();
                }
            }
        }

        void finish() throws IOException {
            if (used > 0) {
                emit();
            }
            if (total != stream.length()) {
                throw new IOException("only " + total + " of the declared " + stream.length() + " bytes were written");
            }
            if (total == 0) {
                report(0);
            }
        }

        private void emit() throws TransportFailure {
            boolean interrupted = Thread.interrupted();
            try {
                writer.write(FrameType.STREAM_DATA, used == buf.length ? buf : java.util.Arrays.copyOf(buf, used));
            } catch (IOException e) {
                throw new TransportFailure(e);
            } finally {
                restoreInterrupt(interrupted);
            }
            total += used;
            used = 0;
            report(total);
        }

        private void report(long transferred) {
            listener.progress(stream.id(), false, transferred, stream.length());
            if (stream.progress() != null) {
                stream.progress().progress(transferred, stream.length());
            }
        }

        /** The connection failed, not the stream's source. */
        static final class TransportFailure extends IOException {
            private static final long serialVersionUID = 1L;

            TransportFailure(IOException cause) {
                super(cause);
            }

            @Override
            public synchronized IOException getCause() {
                return (IOException) super.getCause();
            }
        }
    }

    /** The thumbprint of the peer's certificate after a handshake. */
    static String peerThumbprint(SSLSocket tls) throws SSLException {
        Certificate[] chain = tls.getSession().getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
            throw new SSLException("The peer presented no X.509 certificate");
        }
        return Thumbprints.of((X509Certificate) chain[0]);
    }

    /** Sends END (best effort, bounded by the socket's send buffer) and closes. */
    public void closeGracefully() {
        if (closed.get()) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            writer.write(FrameType.END);
        } catch (IOException e) {
            // The peer may already be gone; END is a courtesy and the connection is closed either way.
        } finally {
            restoreInterrupt(interrupted);
        }
        close();
    }

    /**
     * Closes the connection. The TCP socket is closed directly, without a TLS close_notify, because
     * that write could block on a stalled peer; END (see {@link #closeGracefully()}) is the protocol's
     * clean ending.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(raw);
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
    }

    /** Ends the connection at once from any thread; a blocked read or write on it fails. */
    public void abort() {
        if (!closed.get()) {
            closeQuietly(raw);
        }
    }

    @Override
    public String toString() {
        return "connection to " + description;
    }

    private void touch() {
        lastUsedNanos = System.nanoTime();
    }

    /**
     * Connections run over socket channels (so {@link #quietState} can ask without blocking), and a channel
     * closes itself when a thread is interrupted in one of its operations, or enters one interrupted. A
     * caller's pending interrupt must not destroy a healthy connection, so each frame's I/O clears the flag
     * and this puts it back. (An interrupt that arrives while a thread is blocked on the connection still
     * ends the connection, and with it that exchange.)
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

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Closing after a failure or at shutdown: the socket is released whatever close() reports.
        }
    }
}
