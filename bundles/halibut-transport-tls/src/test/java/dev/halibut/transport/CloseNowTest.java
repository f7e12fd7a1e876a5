package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;

/**
 * A connect whose channel never reached an event loop (registration failed because no file descriptor or loop was
 * left) is cleaned up with {@link Connection#closeNow}; that must close the channel, not throw: the benchmarks' scale
 * run lost every poller whose connect failed so, because the exception escaped the poller's loop.
 */
class CloseNowTest {

    @Test
    void aChannelThatWasNeverRegisteredIsClosedWithoutAnEventLoop() {
        closesWithoutAnEventLoop(new NioSocketChannel());
    }

    /** The same on the native epoll transport, which the event loops use on Linux (IoTransport). */
    @Test
    void anEpollChannelThatWasNeverRegisteredIsClosedWithoutAnEventLoop() {
        if (Epoll.isAvailable()) {
            closesWithoutAnEventLoop(new EpollSocketChannel());
        }
    }

    private static void closesWithoutAnEventLoop(SocketChannel never) {
        assertThat(never.isRegistered()).isFalse();
        assertThat(never.isOpen()).isTrue();

        assertThatCode(() -> Connection.closeNow(never)).doesNotThrowAnyException();

        assertThat(never.isOpen()).isFalse();
    }
}
