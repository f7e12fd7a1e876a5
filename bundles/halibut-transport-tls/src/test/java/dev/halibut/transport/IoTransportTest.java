package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.transport.internal.IoTransport;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The event loops' I/O transport: the native epoll transport where it is available (Linux, with
 * netty-transport-native-epoll for the platform, on this module's class path), NIO otherwise or when asked for, and
 * a listener and a connector on either carry requests and responses alike, also to a peer on the other transport.
 */
class IoTransportTest {

    @Test
    void autoPicksEpollExactlyWhereItIsAvailable() {
        assertThat(IoTransport.named("auto").name()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
    }

    /** The native library comes with the transport (runtime dependency): on Linux x86-64 epoll is always there. */
    @Test
    void epollIsAvailableOnLinuxX8664() {
        boolean linuxX8664 = System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64");
        assertThat(Epoll.isAvailable()).as("epoll available (unavailable because: %s)", Epoll.unavailabilityCause())
                .isEqualTo(linuxX8664);
    }

    @Test
    void nioIsUsedWhenAskedForWhateverIsAvailable() {
        try (EventLoops loops = new EventLoops("io-test", 1, "NIO")) {
            assertThat(loops.transportName()).isEqualTo("nio");
            assertThat(loops.socketChannelType().getSimpleName()).isEqualTo("NioSocketChannel");
        }
    }

    @Test
    void epollIsUsedWhenAskedForOrRefusedNamingWhatItNeeds() {
        if (Epoll.isAvailable()) {
            try (EventLoops loops = new EventLoops("io-test", 1, "epoll")) {
                assertThat(loops.transportName()).isEqualTo("epoll");
                assertThat(loops.serverChannelType().getSimpleName()).isEqualTo("EpollServerSocketChannel");
            }
        } else {
            assertThatThrownBy(() -> new EventLoops("io-test", 1, "epoll"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("netty-transport-native-epoll").hasMessageContaining(IoTransport.PROPERTY);
        }
    }

    @Test
    void anUnknownTransportIsRefusedNamingTheChoices() {
        assertThatThrownBy(() -> new EventLoops("io-test", 1, "kqueue"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kqueue").hasMessageContaining(IoTransport.PROPERTY)
                .hasMessageContaining("auto, nio or epoll");
    }

    @ParameterizedTest(name = "listener on {0}, connector on {1}")
    @CsvSource({"auto,auto", "nio,nio", "nio,auto", "auto,nio"})
    void aListenerAndAConnectorOnEitherTransportExchangeMessages(String listenerIo, String connectorIo)
            throws IOException {
        try (TransportFixture fixture = TransportFixture.serving(IoTransportTest::echo, listenerIo, connectorIo);
             Connection c = fixture.connect()) {
            for (int i = 0; i < 3; i++) {
                String text = "call " + i + " over " + listenerIo + "/" + connectorIo;
                c.sendMessage(FrameType.REQUEST, text.getBytes(StandardCharsets.UTF_8));
                Frame f = c.readFrame(Duration.ofSeconds(30));
                assertThat(f.type()).isEqualTo(FrameType.RESPONSE);
                assertThat(new String(c.messageBytes(f), StandardCharsets.UTF_8)).isEqualTo(text);
            }
        }
    }

    /** Answers each REQUEST with a RESPONSE of the same bytes, until END or the connection ends. */
    private static void echo(Connection c) throws IOException {
        while (true) {
            Frame f = c.readFrame(Duration.ofSeconds(30));
            if (f.type() != FrameType.REQUEST) {
                return;
            }
            c.sendMessage(FrameType.RESPONSE, c.messageBytes(f));
        }
    }
}
