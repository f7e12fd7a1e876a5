package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The {@code Name: value} header lines of an identification block (docs/protocol.md, section 2). */
class IdentificationHeadersTest {

    private static Identification read(String text) throws IOException {
        return Identification.readFrom(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String written(Identification id) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        id.writeTo(out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void headersAreWrittenBetweenTheFirstLineAndTheEmptyLineAndReadBack() throws IOException {
        Identification answer = Identification.server().withHeader("Keep-Alive-Ms", "30000")
                .withHeader("Heartbeat-Timeout-Ms", "10000");
        assertThat(written(answer)).isEqualTo("HALIBUT-SERVER 1\r\nKeep-Alive-Ms: 30000\r\nHeartbeat-Timeout-Ms: 10000\r\n\r\n");
        assertThat(read(written(answer))).isEqualTo(answer);
    }

    @Test
    void namesCompareCaseInsensitivelyBlanksAroundTheValueDoNotCountAndTheFirstOfANameWins() throws IOException {
        Identification id = read("HALIBUT-SERVER 1\r\nkeep-alive-ms:   500  \r\nKEEP-ALIVE-MS: 9\r\n\r\n");
        assertThat(id.header("Keep-Alive-Ms")).isEqualTo("500");
        assertThat(id.headers()).hasSize(1);
        assertThat(id.header("Heartbeat-Timeout-Ms")).isNull();
    }

    @Test
    void linesThatAreNotHeadersAreIgnoredAsBefore() throws IOException {
        Identification id = read("HALIBUT-SERVER 1\r\nno colon here\r\n: no name\r\nspace in name: x\r\n\r\n");
        assertThat(id).isEqualTo(Identification.server());
    }

    @Test
    void aHeaderThatCannotBeWrittenAsOneLineIsRefused() {
        assertThatThrownBy(() -> Identification.server().withHeader("Bad:Name", "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identification.server().withHeader("Name", "two\r\nlines"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withHeaderReplacesAHeaderOfTheSameName() {
        Identification id = Identification.server().withHeader("A", "1").withHeader("a", "2");
        assertThat(id.headers()).containsExactly(java.util.Map.entry("a", "2"));
    }
}
