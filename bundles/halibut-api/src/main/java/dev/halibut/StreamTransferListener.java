package dev.halibut;

import java.util.UUID;

/**
 * Told how far streams have been sent or received by a runtime (for progress bars and logs). Set with
 * the runtime builder; for one outgoing stream, {@link DataStream#withProgress} works too. Runs on the
 * transferring thread, at most once per 64 KiB chunk and once at the end of each stream: keep it short.
 */
@FunctionalInterface
public interface StreamTransferListener {

    /**
     * @param streamId    the stream
     * @param receiving   {@code true} while receiving, {@code false} while sending
     * @param transferred bytes so far
     * @param total       the stream's length
     */
    void progress(UUID streamId, boolean receiving, long transferred, long total);

    /** A listener that ignores everything. */
    StreamTransferListener NONE = (id, receiving, transferred, total) -> { };
}
