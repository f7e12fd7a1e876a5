package dev.halibut.transport;

import dev.halibut.DataStream;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where received streams wait to be read: in memory up to {@link #IN_MEMORY_LIMIT} bytes, otherwise in a
 * temporary file. A file is deleted when its stream has been read, when the stream is discarded (the
 * call failed), when its {@link DataStream} is garbage-collected unread, or when the store closes.
 * Owned by a runtime; thread-safe.
 */
public final class ReceivedStreamStore implements AutoCloseable {

    /** Streams up to this size stay in memory. */
    public static final int IN_MEMORY_LIMIT = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ReceivedStreamStore.class);
    /**
     * JVM-wide, on the JDK's own daemon thread: it ends by itself once this class is unloaded and no
     * registered stream remains, so it outlives no bundle.
     */
    private static final Cleaner CLEANER = Cleaner.create();

    private final Path directory;
    private final Set<Path> files = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** @param directory where temporary files go; {@code null} for the JVM's temporary directory */
    public ReceivedStreamStore(Path directory) {
        this.directory = directory != null ? directory : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Temporary files currently held (for tests and diagnostics). */
    public int fileCount() {
        return files.size();
    }

    /** Starts receiving a stream of {@code length} bytes. */
    public Sink create(UUID id, long length) throws IOException {
        if (closed) {
            throw new IOException("The runtime is closed; cannot receive stream " + id);
        }
        return length <= IN_MEMORY_LIMIT ? new MemorySink(id, length) : new FileSink(id, length);
    }

    /** Deletes every file still held. */
    @Override
    public void close() {
        closed = true;
        for (Path p : files) {
            delete(p);
        }
    }

    private void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("Cannot delete temporary stream file {}: {}", p, e.toString());
        } finally {
            files.remove(p);
        }
    }

    /** A stream being received: write its bytes, then {@link #finish()} or {@link #abort()}. */
    public interface Sink {
        /** Appends the readable bytes of {@code chunk} (which stays the caller's to release). */
        void write(ByteBuf chunk) throws IOException;

        /** The received stream, readable once. */
        DataStream finish() throws IOException;

        /** Releases what was received so far. */
        void abort();
    }

    private static final class MemorySink implements Sink {
        private final UUID id;
        private final long length;
        private final ByteArrayOutputStream bytes;

        MemorySink(UUID id, long length) {
            this.id = id;
            this.length = length;
            this.bytes = new ByteArrayOutputStream((int) length);
        }

        @Override
        public void write(ByteBuf chunk) throws IOException {
            chunk.readBytes(bytes, chunk.readableBytes());
        }

        @Override
        public DataStream finish() {
            byte[] content = bytes.toByteArray();
            return DataStream.received(id, length, () -> new ByteArrayInputStream(content));
        }

        @Override
        public void abort() {
            // nothing held but memory
        }
    }

    private final class FileSink implements Sink {
        private final UUID id;
        private final long length;
        private final Path file;
        private final OutputStream out;

        FileSink(UUID id, long length) throws IOException {
            this.id = id;
            this.length = length;
            this.file = Files.createTempFile(directory, "halibut-stream-", ".tmp");
            files.add(file);
            try {
                this.out = Files.newOutputStream(file);
            } catch (IOException e) {
                delete(file);
                throw e;
            }
        }

        @Override
        public void write(ByteBuf chunk) throws IOException {
            chunk.readBytes(out, chunk.readableBytes());
        }

        @Override
        public DataStream finish() throws IOException {
            out.close();
            FileContent content = new FileContent(file);
            DataStream stream = DataStream.received(id, length, content);
            // If the stream is dropped unread, its file goes when the stream object does.
            content.cleanable = CLEANER.register(stream, content::releaseQuietly);
            return stream;
        }

        @Override
        public void abort() {
            try {
                out.close();
            } catch (IOException e) {
                // the file is deleted next; a failed close changes nothing
            }
            delete(file);
        }
    }

    /** The content of a received stream in a temporary file; must not refer to its DataStream (Cleaner). */
    private final class FileContent implements DataStream.Content {
        private final Path file;
        volatile Cleaner.Cleanable cleanable;

        FileContent(Path file) {
            this.file = file;
        }

        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(file);
        }

        @Override
        public void release() {
            Cleaner.Cleanable c = cleanable;
            if (c != null) {
                c.clean(); // runs releaseQuietly once
            } else {
                releaseQuietly();
            }
        }

        void releaseQuietly() {
            try {
                delete(file);
            } catch (UncheckedIOException e) {
                LOG.warn("Cannot delete temporary stream file {}: {}", file, e.toString());
            }
        }
    }
}
