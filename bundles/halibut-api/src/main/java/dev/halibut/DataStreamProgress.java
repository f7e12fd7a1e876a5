package dev.halibut;

/** Told how far a stream has been sent or received; see {@link DataStream#withProgress}. */
@FunctionalInterface
public interface DataStreamProgress {

    /**
     * Called as chunks pass (at most once per 64 KiB, and once at the end); runs on the transferring
     * thread, so keep it short.
     *
     * @param transferred bytes sent or received so far
     * @param total       the stream's length
     */
    void progress(long transferred, long total);
}
