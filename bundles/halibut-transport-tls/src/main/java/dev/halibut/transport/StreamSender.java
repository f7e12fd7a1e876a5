package dev.halibut.transport;

import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.wire.FrameType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Sends the bodies of a message's streams on a connection (docs/protocol.md, "Streams"): each stream's content cut
 * into STREAM_DATA frames of at most 64 KiB, then its STREAM_END. The connection's write back-pressure paces the
 * source, so memory stays one chunk per stream whatever its length.
 */
final class StreamSender {

    private StreamSender() {
    }

    /**
     * Sends the bodies of {@code streams} (announced by the message just sent on {@code connection}), in order. If
     * a stream's source fails (its writer throws, a file cannot be read, or it yields more or fewer bytes than its
     * length), STREAM_ABORT is sent and {@link StreamSourceException} thrown; the connection must not be reused
     * either way.
     *
     * @throws IOException the connection failed (not the source)
     */
    static void send(Connection connection, List<DataStream> streams, StreamTransferListener listener) throws IOException {
        for (DataStream stream : streams) {
            ChunkOutput chunks = new ChunkOutput(connection, stream, listener);
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
                    connection.writeStreamFrame(FrameType.STREAM_ABORT, truncatedUtf8(reason), -1);
                } catch (IOException alsoBroken) {
                    // The connection is failing too; the peer learns from the close instead.
                } finally {
                    Connection.restoreInterrupt(interrupted);
                }
                throw new StreamSourceException(reason, e);
            }
            byte[] end = ByteBuffer.allocate(FrameType.STREAM_END_SIZE).putLong(stream.id().getMostSignificantBits())
                    .putLong(stream.id().getLeastSignificantBits()).putLong(stream.length()).array();
            boolean interrupted = Thread.interrupted();
            try {
                connection.writeStreamFrame(FrameType.STREAM_END, end, -1);
            } finally {
                Connection.restoreInterrupt(interrupted);
            }
        }
    }

    private static byte[] truncatedUtf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return b.length <= FrameType.MAX_REASON ? b : Arrays.copyOf(b, FrameType.MAX_REASON);
    }

    /** Cuts a stream's content into STREAM_DATA frames and checks it matches the declared length. */
    private static final class ChunkOutput extends OutputStream {
        private final Connection connection;
        private final DataStream stream;
        private final StreamTransferListener listener;
        private final byte[] buf = new byte[FrameType.MAX_STREAM_CHUNK];
        private int used;
        private long total;

        ChunkOutput(Connection connection, DataStream stream, StreamTransferListener listener) {
            this.connection = connection;
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
                connection.writeStreamFrame(FrameType.STREAM_DATA, buf, used);
            } catch (IOException e) {
                throw new TransportFailure(e);
            } finally {
                Connection.restoreInterrupt(interrupted);
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
}
