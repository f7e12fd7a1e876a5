package dev.halibut.transport.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;

/**
 * Which of Netty's I/O transports the event loops use: the native epoll transport where it is available (Linux,
 * with {@code netty-transport-native-epoll} for the platform), Java NIO otherwise. Epoll costs less CPU per call
 * (docs/benchmarks.md, "Small calls and 64 callers"): an eventfd instead of NIO's selector wake-up, no selected-key
 * set, fewer system calls per read. Its classes are touched only once it is known to be there, so this bundle
 * resolves and runs without them (its import of {@code io.netty.channel.epoll} is optional).
 */
public final class IoTransport {

    /** The system property that overrides the choice: {@code auto} (the default), {@code nio} or {@code epoll}. */
    public static final String PROPERTY = "dev.halibut.io.transport";

    private final String name;
    private final Groups groups;
    private final Class<? extends ServerChannel> serverChannelType;
    private final Class<? extends SocketChannel> socketChannelType;

    private interface Groups {
        EventLoopGroup create(int threads, ThreadFactory threadFactory);
    }

    private IoTransport(String name, Groups groups, Class<? extends ServerChannel> serverChannelType,
                        Class<? extends SocketChannel> socketChannelType) {
        this.name = name;
        this.groups = groups;
        this.serverChannelType = serverChannelType;
        this.socketChannelType = socketChannelType;
    }

    /** The transport {@value #PROPERTY} asks for, or the best available one. */
    public static IoTransport chosen() {
        return named(System.getProperty(PROPERTY, "auto"));
    }

    /**
     * @param wanted {@code auto}: epoll where available, else NIO; {@code nio}; {@code epoll}: epoll or fail
     * @throws IllegalArgumentException an unknown name
     * @throws IllegalStateException    {@code epoll} is asked for where it is not available
     */
    public static IoTransport named(String wanted) {
        return switch (wanted.trim().toLowerCase(Locale.ROOT)) {
            case "auto", "" -> EpollSupport.unavailabilityCause() == null ? EpollSupport.transport() : nio();
            case "nio" -> nio();
            case "epoll" -> {
                Throwable cause = EpollSupport.unavailabilityCause();
                if (cause != null) {
                    throw new IllegalStateException("The native epoll transport is not available here (" + cause
                            + "); it needs Linux and io.netty:netty-transport-native-epoll for this platform (classifier"
                            + " linux-x86_64 or linux-aarch_64). Remove " + PROPERTY + "=epoll to use Java NIO", cause);
                }
                yield EpollSupport.transport();
            }
            default -> throw new IllegalArgumentException("Unknown I/O transport '" + wanted + "' in " + PROPERTY
                    + "; use auto, nio or epoll");
        };
    }

    private static IoTransport nio() {
        return new IoTransport("nio", NioEventLoopGroup::new, NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /** {@code "epoll"} or {@code "nio"}. */
    public String name() {
        return name;
    }

    public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return groups.create(threads, threadFactory);
    }

    public Class<? extends ServerChannel> serverChannelType() {
        return serverChannelType;
    }

    public Class<? extends SocketChannel> socketChannelType() {
        return socketChannelType;
    }

    @Override
    public String toString() {
        return name;
    }

    /** The only class that names epoll's classes: loaded once the choice may fall on epoll. */
    private static final class EpollSupport {

        /** Why epoll cannot be used here, or {@code null} if it can. */
        static Throwable unavailabilityCause() {
            try {
                return io.netty.channel.epoll.Epoll.isAvailable() ? null : io.netty.channel.epoll.Epoll.unavailabilityCause();
            } catch (LinkageError e) {
                return e; // netty-transport-classes-epoll is not there (or, in OSGi, not wired)
            }
        }

        static IoTransport transport() {
            return new IoTransport("epoll", io.netty.channel.epoll.EpollEventLoopGroup::new,
                    io.netty.channel.epoll.EpollServerSocketChannel.class, io.netty.channel.epoll.EpollSocketChannel.class);
        }
    }
}
