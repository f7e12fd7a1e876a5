package dev.halibut.queue.redis.internal;

import dev.halibut.DataStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Streams through Redis: each stream is a hash of chunks of at most the chunk size, written and read one
 * chunk at a time (never a whole stream in memory), with an expiry so an abandoned stream disappears by
 * itself. The size of all streams of one message is bounded by the settings.
 */
public final class RedisStreams {

    private final RedisStore store;
    private final Keys keys;
    private final int chunkSize;
    private final long maxBytes;

    public RedisStreams(RedisStore store, Keys keys, int chunkSize, long maxBytes) {
        this.store = store;
        this.keys = keys;
        this.chunkSize = chunkSize;
        this.maxBytes = maxBytes;
    }

    /** The most stream bytes one message may carry. */
    public long maxBytes() {
        return maxBytes;
    }

    /** Why a message's streams cannot go through Redis, or {@code null} if they can. */
    String tooLarge(Collection<DataStream> streams, String which) {
        long total = 0;
        for (DataStream s : streams) {
            total += s.length();
        }
        return total > maxBytes ? which + " carries " + total + " stream bytes, more than the " + maxBytes
                + " bytes a message may carry through the Redis queue (maxStreamBytes)" : null;
    }

    /** A stream could not be read from its source (not a Redis failure). */
    static final class SourceException extends IOException {
        private static final long serialVersionUID = 1L;

        SourceException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Stores the streams, each under its own id, expiring after {@code ttl}. On failure, what was stored is
     * deleted again.
     *
     * @throws SourceException           a stream's source failed or gave the wrong number of bytes
     * @throws RedisUnavailableException Redis failed
     */
    StreamDescriptors upload(Collection<DataStream> streams, Duration ttl) throws IOException, RedisUnavailableException {
        List<StreamDescriptors.Entry> stored = new ArrayList<>();
        try {
            for (DataStream s : streams) {
                stored.add(new StreamDescriptors.Entry(s.id(), s.length()));
                upload(s, ttl);
            }
            return new StreamDescriptors(List.copyOf(stored));
        } catch (IOException | RedisUnavailableException | RuntimeException e) {
            delete(new StreamDescriptors(stored));
            throw e;
        }
    }

    private void upload(DataStream s, Duration ttl) throws IOException, RedisUnavailableException {
        byte[] key = keys.stream(s.id());
        ChunkWriter out = new ChunkWriter(key, ttl.toMillis());
        try {
            if (s.isReceived()) {
                try (InputStream in = s.openStream()) {
                    in.transferTo(out);
                }
            } else {
                s.writeContentTo(out);
            }
            out.flush();
        } catch (RedisIOException e) {
            throw e.cause;
        } catch (IOException | RuntimeException e) {
            throw new SourceException("could not read stream " + s.id() + ": " + e, e);
        }
        if (out.written != s.length()) {
            throw new SourceException("stream " + s.id() + " declared " + s.length() + " bytes but its source gave "
                    + out.written, null);
        }
    }

    /** Deletes the streams' chunks (best effort: they expire anyway). */
    void delete(StreamDescriptors streams) {
        if (streams.entries().isEmpty()) {
            return;
        }
        byte[][] all = streams.entries().stream().map(e -> keys.stream(e.id())).toArray(byte[][]::new);
        try {
            store.run("deleting streams", jedis -> jedis.del(all));
        } catch (RedisUnavailableException e) {
            // they expire by themselves
        }
    }

    /** Streams that read their chunks from Redis as they are read, and delete them once read or discarded. */
    Map<UUID, DataStream> open(StreamDescriptors streams, boolean deleteWhenRead) {
        Map<UUID, DataStream> out = new LinkedHashMap<>();
        for (StreamDescriptors.Entry e : streams.entries()) {
            byte[] key = keys.stream(e.id());
            out.put(e.id(), DataStream.received(e.id(), e.length(), new DataStream.Content() {
                @Override
                public InputStream open() {
                    return new ChunkReader(key, e.id(), e.length());
                }

                @Override
                public void release() {
                    if (deleteWhenRead) {
                        try {
                            store.run("deleting a stream", jedis -> jedis.del(key));
                        } catch (RedisUnavailableException ex) {
                            // it expires by itself
                        }
                    }
                }
            }));
        }
        return out;
    }

    /** Carries a Redis failure through OutputStream.write. */
    private static final class RedisIOException extends IOException {
        private static final long serialVersionUID = 1L;
        final RedisUnavailableException cause;

        RedisIOException(RedisUnavailableException cause) {
            super(cause.getMessage(), cause);
            this.cause = cause;
        }
    }

    private final class ChunkWriter extends OutputStream {
        private final byte[] key;
        private final long ttlMs;
        private final byte[] buffer = new byte[chunkSize];
        private int filled;
        private int chunk;
        long written;

        ChunkWriter(byte[] key, long ttlMs) {
            this.key = key;
            this.ttlMs = ttlMs;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
                written += n;
                if (filled == buffer.length) {
                    store();
                }
            }
        }

        @Override
        public void flush() throws IOException {
            if (filled > 0) {
                store();
            }
        }

        private void store() throws RedisIOException {
            byte[] data = filled == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, filled);
            byte[] field = Keys.b(Integer.toString(chunk));
            boolean first = chunk == 0;
            try {
                store.run("storing a stream chunk", jedis -> {
                    jedis.hset(key, field, data);
                    if (first) {
                        jedis.pexpire(key, ttlMs);
                    }
                    return null;
                });
            } catch (RedisUnavailableException e) {
                throw new RedisIOException(e);
            }
            chunk++;
            filled = 0;
        }
    }

    private final class ChunkReader extends InputStream {
        private final byte[] key;
        private final UUID id;
        private final long length;
        private byte[] current = new byte[0];
        private int pos;
        private int chunk;
        private long read;

        ChunkReader(byte[] key, UUID id, long length) {
            this.key = key;
            this.id = id;
            this.length = length;
        }

        private boolean fill() throws IOException {
            if (read >= length) {
                return false;
            }
            byte[] field = Keys.b(Integer.toString(chunk));
            byte[] data;
            try {
                data = store.run("reading a stream chunk", jedis -> jedis.hget(key, field));
            } catch (RedisUnavailableException e) {
                throw new IOException("stream " + id + ": " + e.getMessage(), e);
            }
            if (data == null || data.length == 0 || data.length > chunkSize * 2L) {
                throw new IOException("stream " + id + " is no longer in Redis after " + read + " of " + length
                        + " bytes (a stream expires streamExpiry after it was stored, and Redis loses it if it restarts)");
            }
            chunk++;
            current = data;
            pos = 0;
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == current.length && !fill()) {
                return -1;
            }
            int n = (int) Math.min(Math.min(len, current.length - pos), length - read);
            if (n <= 0) {
                throw new IOException("stream " + id + " holds more bytes in Redis than its declared " + length);
            }
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            read += n;
            return n;
        }
    }
}
