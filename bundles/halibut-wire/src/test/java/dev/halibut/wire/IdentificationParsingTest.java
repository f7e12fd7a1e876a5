package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class IdentificationParsingTest {

    private static Identification read(String text) throws IOException {
        return Identification.readFrom(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static String written(Identification id) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        id.writeTo(out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void rolesRoundTrip() throws IOException {
        assertThat(written(Identification.client())).isEqualTo("HALIBUT-CLIENT 1\r\n\r\n");
        assertThat(written(Identification.server())).isEqualTo("HALIBUT-SERVER 1\r\n\r\n");
        Identification sub = Identification.subscriber(URI.create("poll://abc/"));
        assertThat(written(sub)).isEqualTo("HALIBUT-SUBSCRIBER 1 poll://abc/\r\n\r\n");
        assertThat(read(written(sub))).isEqualTo(sub);
        assertThat(read(written(Identification.client()))).isEqualTo(Identification.client());
    }

    @Test
    void unknownHeadersAreIgnored() throws IOException {
        Identification id = read("HALIBUT-CLIENT 1\r\nFeature: streams\r\nX: y\r\n\r\n");
        // Headers change nothing of the role, version or subscription; they are kept for whoever knows them.
        assertThat(new Identification(id.role(), id.version(), id.subscription())).isEqualTo(Identification.client());
        assertThat(id.header("feature")).isEqualTo("streams");
    }

    @Test
    void errorLineBecomesARejectionWithItsCode() {
        assertThatThrownBy(() -> read("HALIBUT-ERROR untrusted-certificate certificate ABC is not trusted\r\n\r\n"))
                .isInstanceOfSatisfying(Identification.IdentificationRejectedException.class,
                        e -> assertThat(e.code()).isEqualTo("untrusted-certificate"))
                .hasMessageContaining("certificate ABC is not trusted");
    }

    @Test
    void otherVersionIsNamed() {
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 2\r\n\r\n"))
                .isInstanceOfSatisfying(Identification.UnsupportedVersionException.class,
                        e -> assertThat(e.version()).isEqualTo(2))
                .hasMessageContaining("version 2").hasMessageContaining("only version 1");
    }

    @Test
    void malformedBlocksAreProtocolErrors() {
        assertThatThrownBy(() -> read("MX-CLIENT 1.0\r\n\r\n")).isInstanceOf(Identification.UnknownRoleException.class);
        assertThatThrownBy(() -> read("HALIBUT-CLIENT\r\n\r\n")).hasMessageContaining("no protocol version");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT one\r\n\r\n")).hasMessageContaining("numeric");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT +1\r\n\r\n")).hasMessageContaining("numeric");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 01\r\n\r\n")).hasMessageContaining("numeric");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT\r1\r\n\r\n")).hasMessageContaining("CR that does not end");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 1\n\r\n")).hasMessageContaining("CRLF");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 1 extra\r\n\r\n")).hasMessageContaining("trailing");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 1\u00e9\r\n\r\n")).hasMessageContaining("non-ASCII");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 1\r\n")).hasMessageContaining("ended");
        assertThatThrownBy(() -> read("HALIBUT-SUBSCRIBER 1\r\n\r\n")).hasMessageContaining("names no subscription");
        assertThatThrownBy(() -> read("HALIBUT-SUBSCRIBER 1 https://x/\r\n\r\n")).hasMessageContaining("poll://");
        assertThatThrownBy(() -> read("HALIBUT-CLIENT 1\r\n" + "H: v\r\n".repeat(20) + "\r\n"))
                .hasMessageContaining("more than 16 lines");
    }

    @Test
    void overlongLineIsRefusedAfterReadingAtMostTheLimit() {
        byte[] flood = new byte[1 << 20];
        Arrays.fill(flood, (byte) 'A');
        CountingStream in = new CountingStream(new ByteArrayInputStream(flood));
        assertThatThrownBy(() -> Identification.readFrom(in)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("longer than 1024");
        assertThat(in.count).isLessThanOrEqualTo(Identification.MAX_LINE_LENGTH);
    }

    @Test
    void aConfiguredLineLengthIsEnforcedAfterReadingAtMostThatMany() throws IOException {
        byte[] flood = new byte[1 << 20];
        Arrays.fill(flood, (byte) 'A');
        CountingStream in = new CountingStream(new ByteArrayInputStream(flood));
        assertThatThrownBy(() -> Identification.readFrom(in, 128)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("longer than 128 bytes (maxIdentificationLineLength)");
        assertThat(in.count).isLessThanOrEqualTo(128);
        // A line of exactly the limit, CRLF included, is accepted; one byte more is not.
        String sub = "HALIBUT-SUBSCRIBER 1 poll://";
        String exact = sub + "a".repeat(128 - 2 - sub.length() - 1) + "/";
        assertThat(Identification.readFrom(new ByteArrayInputStream((exact + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)), 128)
                .subscription()).hasToString(exact.substring("HALIBUT-SUBSCRIBER 1 ".length()));
        String over = sub + "a".repeat(128 - 2 - sub.length()) + "/";
        assertThatThrownBy(() -> Identification.readFrom(new ByteArrayInputStream((over + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)), 128)).hasMessageContaining("longer than 128 bytes");
    }

    @Test
    void errorTextIsKeptToOneLineUnderTheLimit() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Identification.writeError(out, "bad-identification", "x\r\ny".repeat(2000));
        String s = out.toString(StandardCharsets.US_ASCII);
        assertThat(s.indexOf("\r\n")).isLessThan(Identification.MAX_LINE_LENGTH);
        assertThatThrownBy(() -> read(s)).isInstanceOf(Identification.IdentificationRejectedException.class);
    }

    private static final class CountingStream extends InputStream {
        final InputStream in;
        int count;

        CountingStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }
    }
}
