package dev.halibut.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The few event-loop threads on which a runtime's connections do their I/O: TLS, framing, handshakes and
 * identification of every listening and calling connection. They never run service code or wait for anything;
 * worker threads do that through the blocking {@link Connection} facade. Owned by one runtime (or one
 * listener/connector made without it); {@link #close()} ends the threads.
 */
public final class EventLoops implements AutoCloseable {

    /** Enough threads for TLS on a few cores, and a fixed number, whatever the number of connections. */
    public static final int DEFAULT_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final EventLoopGroup group;

    /** @param name the threads' name prefix, for thread dumps */
    public EventLoops(String name) {
        this(name, DEFAULT_THREADS);
    }

    public EventLoops(String name, int threads) {
        // Daemon threads: a runtime that is never closed must not keep the JVM alive.
        this.group = new NioEventLoopGroup(threads, new DefaultThreadFactory(name, true));
    }

    EventLoopGroup group() {
        return group;
    }

    /** Whether the calling thread is one of these event loops (where nothing may block). */
    public boolean inEventLoop() {
        for (var e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** Closes every channel still on these loops and ends their threads (waits up to 5 s). */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
