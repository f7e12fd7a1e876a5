package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.HttpProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CONNECT exchange with a proxy, byte for byte, on an embedded channel. */
class HttpConnectHandlerTest {

    private final Promise<Object> failure = ImmediateEventExecutor.INSTANCE.newPromise();
    private final List<String> afterTunnel = new ArrayList<>();
    private boolean tunnelOpened;

    private EmbeddedChannel channel(HttpProxy proxy) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("proxy-connect", new HttpConnectHandler(proxy, "service.example:8443", failure, ctx -> {
            tunnelOpened = true;
            ctx.pipeline().addAfter("proxy-connect", "tail", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(io.netty.channel.ChannelHandlerContext c, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    afterTunnel.add(b.toString(StandardCharsets.ISO_8859_1));
                    b.release();
                }
            });
        }));
        ch.pipeline().fireChannelActive();
        return ch;
    }

    private static String written(EmbeddedChannel ch) {
        StringBuilder s = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; b.release()) {
            s.append(b.toString(StandardCharsets.ISO_8859_1));
        }
        return s.toString();
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    @Test
    void sendsConnectWithHostAndBasicCredentials() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128).withCredentials("svc", "p:w"));

        assertThat(written(ch)).isEqualTo("CONNECT service.example:8443 HTTP/1.1\r\nHost: service.example:8443\r\n"
                + "Proxy-Authorization: Basic c3ZjOnA6dw==\r\n\r\n");
    }

    @Test
    void withoutCredentialsSendsNoAuthorization() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        assertThat(written(ch)).doesNotContain("Proxy-Authorization");
    }

    @Test
    void a200SplitOverReadsOpensTheTunnelAndPassesOnWhatFollowsTheHeader() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.writeInbound(text("HTTP/1.1 200 Connection established\r\nVia: x\r"));
        assertThat(tunnelOpened).isFalse();
        ch.writeInbound(text("\n\r\nEARLY"));
        ch.writeInbound(text("LATER"));

        assertThat(tunnelOpened).isTrue();
        assertThat(afterTunnel).containsExactly("EARLY", "LATER");
        assertThat(ch.pipeline().get(HttpConnectHandler.class)).isNull();
        assertThat(failure.isDone()).isFalse();
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void interimResponsesBeforeThe200AreSkipped() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.writeInbound(text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 2"));
        assertThat(tunnelOpened).isFalse();
        ch.writeInbound(text("00 Connection established\r\n\r\nEARLY"));

        assertThat(tunnelOpened).isTrue();
        assertThat(afterTunnel).containsExactly("EARLY");
        assertThat(failure.isDone()).isFalse();
    }

    @Test
    void a101IsNoInterimResponseToConnectAndRefusesTheTunnel() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.writeInbound(text("HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"));

        assertThat(failure.cause()).hasMessageContaining("refused the tunnel (HTTP/1.1 101 Switching Protocols)");
        assertThat(tunnelOpened).isFalse();
    }

    @Test
    void interimResponsesCountAgainstTheBound() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));
        String interim = "HTTP/1.1 100 Continue\r\n\r\n";

        ch.writeInbound(text(interim.repeat(HttpConnectHandler.MAX_RESPONSE_HEADER / interim.length() + 1)));

        assertThat(failure.cause()).hasMessageContaining("more than " + HttpConnectHandler.MAX_RESPONSE_HEADER + " bytes");
        assertThat(tunnelOpened).isFalse();
    }

    @Test
    void a407FailsNamingTheProxyTheTargetAndTheKeys() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.writeInbound(text("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n"));

        assertThat(failure.cause()).isInstanceOf(ProxyConnectException.class)
                .hasMessageContaining("The HTTP proxy proxy:3128 asks for authentication (HTTP/1.1 407")
                .hasMessageContaining("Proxy-Authenticate: Basic realm=\"x\"")
                .hasMessageContaining("for service.example:8443");
        assertThat(((ProxyConnectException) failure.cause()).status()).isEqualTo(407);
        assertThat(((ProxyConnectException) failure.cause()).advice()).contains("proxy.username and proxy.password");
        assertThat(ch.isOpen()).isFalse();
        assertThat(tunnelOpened).isFalse();
    }

    @Test
    void anAnswerThatIsNotHttpFails() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.writeInbound(text("\u0016\u0003\u0001garbage\r\n\r\n"));

        assertThat(failure.cause()).hasMessageContaining("something that is not HTTP");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aHeaderLongerThanTheBoundFailsWithoutWaitingForItsEnd() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.writeInbound(text("HTTP/1.1 200 OK\r\nX: " + "a".repeat(HttpConnectHandler.MAX_RESPONSE_HEADER)));

        assertThat(failure.cause()).hasMessageContaining("more than " + HttpConnectHandler.MAX_RESPONSE_HEADER + " bytes");
        assertThat(tunnelOpened).isFalse();
    }

    @Test
    void aCloseBeforeTheAnswerFails() {
        EmbeddedChannel ch = channel(new HttpProxy("proxy", 3128));

        ch.close();

        assertThat(failure.cause()).hasMessageContaining("closed the connection without answering the CONNECT request");
    }

    @Test
    void statusLinesAreParsedStrictly() {
        assertThat(HttpConnectHandler.status("HTTP/1.1 200 Connection established")).isEqualTo(200);
        assertThat(HttpConnectHandler.status("HTTP/1.0 403")).isEqualTo(403);
        assertThat(HttpConnectHandler.status("HTTP/2 200 OK")).isEqualTo(-1);
        assertThat(HttpConnectHandler.status("HTTP/1.1 20x OK")).isEqualTo(-1);
        assertThat(HttpConnectHandler.status("HTTP/1.1 2000 OK")).isEqualTo(-1);
        assertThat(HttpConnectHandler.status("SSH-2.0-OpenSSH")).isEqualTo(-1);
    }
}
