package dev.halibut.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutLimits;
import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.karaf.shell.support.CommandException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands refuse bad input by throwing Karaf's {@link CommandException}, which the shell prints as
 * "Error executing command: ..." and which makes a scripted run ({@code bin/client}, ssh) exit non-zero;
 * commands that did their job return normally. The shell's side of that is checked by ShellScriptIT.
 */
class CommandRefusalTest {
    private static final String SOMEONE = "0123456789ABCDEF0123456789ABCDEF01234567";

    private final FakeConfigurationAdmin config = new FakeConfigurationAdmin();

    @Test
    void trustAndUntrustRefuseWhatIsNotAThumbprintAndChangeNothing() {
        TrustCommand trust = new TrustCommand();
        trust.configurationAdmin = config.admin();
        trust.thumbprint = "not-a-thumbprint";
        UntrustCommand untrust = new UntrustCommand();
        untrust.configurationAdmin = config.admin();
        untrust.thumbprint = "zz";

        assertThatThrownBy(trust::execute).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("'not-a-thumbprint' is not a thumbprint: expected 40 hex characters");
        assertThatThrownBy(untrust::execute).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("'zz' is not a thumbprint: expected 40 hex characters");
        assertThat(config.properties(HalibutConfig.RUNTIME_PID)).isNull();
    }

    @Test
    void trustAndUntrustWriteTheConfigurationAndReturnNormally() throws Exception {
        TrustCommand trust = new TrustCommand();
        trust.configurationAdmin = config.admin();
        trust.thumbprint = SOMEONE.toLowerCase();
        assertThat(trust.execute()).isNull();
        assertThat(config.properties(HalibutConfig.RUNTIME_PID)).containsEntry(HalibutConfig.TRUSTED_THUMBPRINTS, SOMEONE);

        UntrustCommand untrust = new UntrustCommand();
        untrust.configurationAdmin = config.admin();
        untrust.thumbprint = SOMEONE;
        assertThat(untrust.execute()).isNull();
        assertThat(config.properties(HalibutConfig.RUNTIME_PID)).doesNotContainKey(HalibutConfig.TRUSTED_THUMBPRINTS);
        // Untrusting what is not trusted leaves the wanted state: not a refusal.
        assertThat(untrust.execute()).isNull();
    }

    @Test
    void pingRefusesAnEndpointWithoutThumbprintAnUnusableEndpointAndBadCounts() {
        config.factory(HalibutConfig.IMPORT_FACTORY_PID, Map.of(HalibutConfig.ENDPOINT, "poll://known/",
                HalibutConfig.THUMBPRINT, SOMEONE, HalibutConfig.INTERFACES, "a.B"));

        assertThatThrownBy(ping("poll://unknown/", null)::execute).isInstanceOf(CommandException.class)
                .hasMessage("No thumbprint given, and no dev.halibut.import configuration names poll://unknown/:"
                        + " halibut:ping poll://unknown/ <thumbprint>");
        assertThatThrownBy(ping("ftp://host/", SOMEONE)::execute).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("Cannot ping ftp://host/: ");
        assertThatThrownBy(ping("https://host:1/", "zz")::execute).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("Cannot ping https://host:1/: ");
        PingCommand none = ping("poll://known/", null);
        none.count = 0;
        assertThatThrownBy(none::execute).isInstanceOf(CommandException.class).hasMessage("--count must be 1 or more, not 0");
        // The thumbprint of the import configuration is found: what is missing now is a runtime to ping from.
        assertThatThrownBy(ping("poll://known/", null)::execute).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("No Halibut runtime is running to ping from");
    }

    @Test
    void pingFailsWhenNothingAnswersAndSucceedsWhenTheEndpointAnswers() throws Exception {
        CertificateAndKey id = Certificates.generateSelfSigned("ping-test");
        String own = Certificates.thumbprint(id.certificate());
        try (HalibutRuntime runtime = HalibutRuntime.builder().certificate(id.certificate(), id.privateKey()).trust(own)
                .timeouts(HalibutLimits.defaults().withPollingCollectionTimeout(Duration.ofSeconds(1))).build()) {
            int port = runtime.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

            PingCommand answered = ping("https://127.0.0.1:" + port + "/", own);
            answered.runtime = runtime;
            assertThat(answered.execute()).isNull();

            PingCommand nobody = ping("poll://nobody/", own);
            nobody.runtime = runtime;
            assertThatThrownBy(nobody::execute).isInstanceOf(CommandException.class)
                    .hasMessageStartingWith("poll://nobody/ did not answer the ping: ");
        }
    }

    @Test
    void certificateRefusesToShowWithoutARuntimeAndToOverwriteAKeyStore(@TempDir Path dir) throws Exception {
        CertificateCommand show = new CertificateCommand();
        show.configurationAdmin = config.admin();
        assertThatThrownBy(show::execute).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("No Halibut runtime is running, so there is no certificate to show");

        Path existing = Files.writeString(dir.resolve("taken.p12"), "not mine");
        CertificateCommand generate = new CertificateCommand();
        generate.configurationAdmin = config.admin();
        generate.generate = true;
        generate.keystore = existing.toString();
        assertThatThrownBy(generate::execute).isInstanceOf(CommandException.class)
                .hasMessageContaining("exists already; choose another --keystore");
        assertThat(Files.readString(existing)).isEqualTo("not mine");
        assertThat(config.properties(HalibutConfig.RUNTIME_PID)).isNull();
    }

    private PingCommand ping(String endpoint, String thumbprint) {
        PingCommand ping = new PingCommand();
        ping.configurationAdmin = config.admin();
        ping.endpoint = endpoint;
        ping.thumbprint = thumbprint;
        return ping;
    }
}
