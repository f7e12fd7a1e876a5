package dev.halibut;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Content of any length sent with a request or response, after the message on the same connection
 * and never held whole in memory. A {@code DataStream} can be a parameter, a field of a parameter
 * object, or (part of) a result.
 *
 * <p>On the sending side, create one with {@link #fromBytes}, {@link #fromFile} or {@link #fromWriter}.
 * On the receiving side, read its content once: {@link #openStream()}, {@link #copyTo(Path)},
 * {@link #readAllBytes()} or {@link #readAllText(Charset)}, or {@link #discard()} it.
 *
 * <p>A received stream is read from the connection as it arrives, in constant memory. A service is called as
 * soon as the request's message arrives and reads its streams while they come in; a read that fails (the
 * sender aborted the stream, the connection was lost, nothing arrived within the response timeout) throws an
 * {@link IOException} naming the stream and the peer, and the call then ends without a response. Streams come
 * in the order they are listed: opening a later one first stores the earlier ones in a temporary file (small
 * ones in memory). A stream the service leaves unread when it returns is stored the same way and stays
 * readable; its file is deleted when it is read, discarded or garbage-collected, or when the runtime closes.
 *
 * <p>A caller of a listening endpoint gets the call's result as soon as the response's message arrives; the
 * result's streams are then read from the same connection, which goes back to the connection pool only once
 * every stream of the response has been read to its end or discarded (closing a stream early skips the rest).
 * <b>Read or discard result streams promptly:</b> the service host waits for the reader at most its
 * {@code writeTimeout} and then fails; a result stream dropped unread closes its connection when it is
 * garbage-collected. The result streams of a polling endpoint arrive stored (in memory or a temporary file),
 * with the same rules for their files.
 */
public final class DataStream {

    /** The source of a stream's bytes; implementations live in this bundle and in the runtime. */
    public interface Content {
        /** Opens the content for reading; called once per send or read. */
        InputStream open() throws IOException;

        /** Releases what the content holds (a temporary file); called once it is consumed or abandoned. */
        default void release() {
        }
    }

    private final UUID id;
    private final long length;
    private final Content content;
    private final DataStreamWriter writer;
    private final DataStreamProgress progress;
    private final boolean received;
    private final AtomicBoolean consumed = new AtomicBoolean();

    private DataStream(UUID id, long length, Content content, DataStreamWriter writer, DataStreamProgress progress,
                       boolean received) {
        if (length < 0) {
            throw new IllegalArgumentException("A stream's length cannot be negative: " + length);
        }
        this.id = id;
        this.length = length;
        this.content = content;
        this.writer = writer;
        this.progress = progress;
        this.received = received;
    }

    /** A stream of these bytes (the array is not copied; do not change it until sent). */
    public static DataStream fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new DataStream(UUID.randomUUID(), bytes.length, () -> new ByteArrayInputStream(bytes), null, null, false);
    }

    /** A stream of a file's content, read when the stream is sent. */
    public static DataStream fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot send " + file + " as a DataStream: " + e.getMessage(), e);
        }
        return new DataStream(UUID.randomUUID(), size, () -> Files.newInputStream(file), null, null, false);
    }

    /**
     * A stream of {@code length} bytes produced by {@code writer} when the stream is sent. A writer
     * that throws, or writes more or fewer bytes than {@code length}, fails the call.
     */
    public static DataStream fromWriter(long length, DataStreamWriter writer) {
        Objects.requireNonNull(writer, "writer");
        return new DataStream(UUID.randomUUID(), length, null, writer, null, false);
    }

    /**
     * For transports: a received stream whose content is held by {@code content} (a temporary file or
     * memory), released when read.
     */
    public static DataStream received(UUID id, long length, Content content) {
        return new DataStream(id, length, content, null, null, true);
    }

    /** The same stream, reporting send progress to {@code listener}. */
    public DataStream withProgress(DataStreamProgress listener) {
        return new DataStream(id, length, content, writer, Objects.requireNonNull(listener, "listener"), received);
    }

    /** The stream's identity on the wire. */
    public UUID id() {
        return id;
    }

    /** The number of bytes in the stream. */
    public long length() {
        return length;
    }

    /** Where progress is reported, or {@code null}. */
    public DataStreamProgress progress() {
        return progress;
    }

    /** Whether this stream arrived from the network (and can be read once). */
    public boolean isReceived() {
        return received;
    }

    /** For transports: writes the content to {@code out} (not counting or checking; the caller does). */
    public void writeContentTo(OutputStream out) throws IOException {
        if (writer != null) {
            writer.writeTo(out);
            return;
        }
        try (InputStream in = content.open()) {
            in.transferTo(out);
        }
    }

    /**
     * Opens the content for reading, once. Closing the returned stream deletes a received stream's
     * temporary file, or skips what has not arrived yet of a stream read from the connection.
     *
     * @throws IllegalStateException the content was read already
     */
    public InputStream openStream() throws IOException {
        markConsumed();
        if (writer != null) {
            throw new IllegalStateException("A stream made from a writer can only be sent, not read locally");
        }
        InputStream in = content.open();
        return new java.io.FilterInputStream(in) {
            private boolean closed;

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    try {
                        super.close();
                    } finally {
                        content.release();
                    }
                }
            }
        };
    }

    /** Copies the content to {@code target} (replacing it), once. */
    public void copyTo(Path target) throws IOException {
        try (InputStream in = openStream()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * The whole content in memory, once; for small streams.
     *
     * @throws IllegalStateException the stream is larger than 2 GiB - 8 bytes
     */
    public byte[] readAllBytes() throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("A stream of " + length + " bytes does not fit in a byte array; use openStream() or copyTo()");
        }
        try (InputStream in = openStream()) {
            return in.readAllBytes();
        }
    }

    /** The whole content as text, once; for small streams. */
    public String readAllText(Charset charset) throws IOException {
        return new String(readAllBytes(), charset);
    }

    /**
     * Gives up a received stream without reading it: its temporary storage is released, or, if it is still
     * arriving, the rest is skipped (read from the connection and dropped) as soon as it comes up, so that the
     * connection is free again.
     */
    public void discard() {
        if (consumed.compareAndSet(false, true) && content != null) {
            content.release();
        }
    }

    private void markConsumed() {
        if (received && !consumed.compareAndSet(false, true)) {
            throw new IllegalStateException("Received stream " + id + " has been read already; its content can be read once");
        }
    }

    @Override
    public String toString() {
        return "DataStream " + id + " (" + length + " bytes" + (received ? ", received" : "") + ")";
    }
}
