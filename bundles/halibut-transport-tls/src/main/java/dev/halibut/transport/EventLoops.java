package dev.halibut.transport;

import dev.halibut.transport.internal.IoTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The few event-loop threads on which a runtime's connections do their I/O: TLS, framing, handshakes and
 * identification of every listening and calling connection. They never run service code or wait for anything;
 * worker threads do that through the blocking {@link Connection} facade. Owned by one runtime (or one
 * listener/connector made without it); {@link #close()} ends the threads.
 *
 * <p>On Linux with Netty's native epoll transport present ({@code netty-transport-native-epoll}) the loops use it;
 * elsewhere Java NIO. The system property {@value IoTransport#PROPERTY} ({@code nio}, {@code epoll} or
 * {@code auto}) overrides the choice (docs/configuration.md).
 */
public final class EventLoops implements AutoCloseable {

    /** Enough threads for TLS on a few cores, and a fixed number, whatever the number of connections. */
    public static final int DEFAULT_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final IoTransport transport;
    private final EventLoopGroup group;

    /** @param name the threads' name prefix, for thread dumps */
    public EventLoops(String name) {
        this(name, DEFAULT_THREADS);
    }

    /**
     * @throws IllegalStateException {@value IoTransport#PROPERTY} asks for {@code epoll} where it is not available
     */
    public EventLoops(String name, int threads) {
        this(name, threads, IoTransport.chosen());
    }

    /**
     * Loops on a named I/O transport, whatever {@value IoTransport#PROPERTY} says: {@code auto}, {@code nio} or
     * {@code epoll} (for tests and benchmarks that compare them).
     *
     * @throws IllegalStateException    {@code epoll} where it is not available
     * @throws IllegalArgumentException an unknown name
     */
    public EventLoops(String name, int threads, String transport) {
        this(name, threads, IoTransport.named(transport));
    }

    private EventLoops(String name, int threads, IoTransport transport) {
        this.transport = transport;
        // Daemon threads: a runtime that is never closed must not keep the JVM alive.
        this.group = transport.newGroup(threads, new DefaultThreadFactory(name, true));
    }

    EventLoopGroup group() {
        return group;
    }

    /** The listening socket's channel class for {@link #group()}. */
    Class<? extends ServerChannel> serverChannelType() {
        return transport.serverChannelType();
    }

    /** The connected socket's channel class for {@link #group()}. */
    Class<? extends SocketChannel> socketChannelType() {
        return transport.socketChannelType();
    }

    /** Which I/O transport these loops use: {@code "epoll"} or {@code "nio"}; for status and logs. */
    public String transportName() {
        return transport.name();
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
