package dev.halibut.transport;

import dev.halibut.DataStream;
import dev.halibut.StreamTransferListener;
import dev.halibut.wire.FrameType;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Sends the bodies of a message's streams on a connection (docs/protocol.md, "Streams"): each stream's content cut
 * into STREAM_DATA frames of 64 KiB, header included ({@link #CHUNK}), then its STREAM_END. The connection's write
 * back-pressure paces the source, so memory stays one chunk per stream whatever its length. The source writes a chunk
 * straight into the pooled buffer its frame is sent from (of the kind the connection's TLS engine encrypts from), so
 * each byte is copied once before encryption.
 */
final class StreamSender {

    /** A frame's type byte and its 4-byte payload length (docs/protocol.md, section 3). */
    private static final int FRAME_HEADER = 5;

    /**
     * The content of one STREAM_DATA frame: 64 KiB less the header, so that a whole frame is exactly four TLS records
     * of 16 KiB (the most plaintext a record holds). The JDK's engine encrypts each frame on its own
     * ({@code TlsProvider.fit}), where a frame of 64 KiB of content would end in a record of 5 bytes; and the receiver
     * finds a frame in four whole decrypted buffers instead of five, at the ends often in pieces too small to keep (a
     * copy on its event loop). The protocol allows any content from 1 byte to 64 KiB.
     */
    static final int CHUNK = FrameType.MAX_STREAM_CHUNK - FRAME_HEADER;

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
            } finally {
                chunks.release(); // a frame half filled when the source or the connection failed
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
        /** The frame being filled (header, then {@link #used} bytes of content); null between frames. */
        private ByteBuf frame;
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
                if (frame == null) {
                    long left = stream.length() - total;
                    frame = connection.streamFrameBuffer(FRAME_HEADER + (int) Math.min(CHUNK, left));
                    frame.writerIndex(FRAME_HEADER);
                }
                int n = Math.min(len, CHUNK - used);
                frame.writeBytes(b, off, n);
                used += n;
                off += n;
                len -= n;
                if (used == CHUNK) {
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
            ByteBuf full = frame;
            frame = null; // the connection owns it now
            full.setByte(0, FrameType.STREAM_DATA.code()).setInt(1, used);
            boolean interrupted = Thread.interrupted();
            try {
                connection.writeStreamFrame(FrameType.STREAM_DATA, full);
            } catch (IOException e) {
                throw new TransportFailure(e);
            } finally {
                Connection.restoreInterrupt(interrupted);
            }
            total += used;
            used = 0;
            report(total);
        }

        /** Returns the frame being filled, if any, to its pool: the source failed, or the connection did. */
        void release() {
            if (frame != null) {
                frame.release();
                frame = null;
            }
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
