package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.halibut.HalibutClientException;
import dev.halibut.ServiceInvocationException;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.IncomingResponse;
import jakarta.inject.Named;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A value that does not fit its declared type exactly fails the call as {@code bad-request} and never
 * reaches the service converted: hand-built requests from a peer (as one in another language would send
 * them), and callers whose contract disagrees with the service's, in both modes. The caller binds results
 * just as strictly.
 */
class StrictBindingTest {

    /** The calculator as a caller with a drifted contract sees it: it sends doubles where ints are declared. */
    @Named("Calculator")
    public interface DriftedCalculator {
        int divideExactly(double a, double b);

        /** The service returns a double; this caller expects an int. */
        int divide(double a, double b);

        /** The service takes Strings; this caller sends a number. */
        String echo(long text);
    }

    private final CalculatorService calculator = new CalculatorService();

    @RegisterExtension
    final TestResources resources = new TestResources();

    private HalibutRuntime serviceHost() {
        HalibutRuntime host = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Calculator.class, calculator).trust(Thumbprints.of(TestIdentities.OCTOPUS.certificate()))
                .build();
        resources.add(host);
        return host;
    }

    /** A hand-written peer talking to a service host in the given mode. */
    private RawPeer rawPeer(Mode mode) throws Exception {
        HalibutRuntime host = serviceHost();
        RawPeer peer = mode == Mode.LISTENING
                ? RawPeer.callerOf(host, host.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
                : RawPeer.listenerFor(host, URI.create("poll://strict-binding/"));
        resources.addFirst(peer); // closed before its service host
        return peer;
    }

    private static ObjectNode add(String id, String type) {
        ObjectNode request = RawPeer.request(id, "Calculator", "add");
        request.withArray("paramTypes").add(type).add(type);
        return request;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFractionForAnIntIsABadRequestAndTheServiceNeverRuns(Mode mode) throws Exception {
        RawPeer peer = rawPeer(mode);
        ObjectNode fraction = add("1", "int");
        fraction.withArray("params").add(8.5).add(1);
        IncomingResponse refused = peer.call(fraction);
        assertThat(refused.error()).isNotNull();
        assertThat(refused.error().kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(refused.error().message()).contains("Calculator.add").contains("Argument 0").contains("int")
                .contains("8.5").contains("(parameter 'a')");
        assertThat(calculator.invocations).hasValue(0);

        // 8.0 is refused too: integers travel as int32 or int64.
        ObjectNode whole = add("2", "int");
        whole.withArray("params").add(8.0).add(1);
        assertThat(peer.call(whole).error().kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(calculator.invocations).hasValue(0);

        // The same connection serves on: an int64 that fits an int is fine.
        ObjectNode fits = add("3", "int");
        fits.withArray("params").add(8L).add(1);
        IncomingResponse ok = peer.call(fits);
        assertThat(ok.error()).isNull();
        assertThat(ok.bindResult(int.class)).isEqualTo(9);
        assertThat(calculator.invocations).hasValue(1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void outOfRangeStringsAndBooleansAreBadRequests(Mode mode) throws Exception {
        RawPeer peer = rawPeer(mode);
        ObjectNode tooBig = add("1", "int");
        tooBig.withArray("params").add(1L << 32).add(1);
        assertThat(peer.call(tooBig).error().message()).contains("Argument 0").contains("out of range for int");
        ObjectNode text = add("2", "long");
        text.withArray("params").add(1L).add("2");
        assertThat(peer.call(text).error().message()).contains("Argument 1").contains("a string");
        ObjectNode bool = RawPeer.request("3", "Calculator", "echo");
        bool.withArray("params").add(true);
        IncomingResponse r = peer.call(bool);
        assertThat(r.error().kind()).isEqualTo(ErrorKind.BAD_REQUEST);
        assertThat(r.error().message()).contains("Calculator.echo").contains("a boolean");
        ObjectNode nullForInt = add("4", "int");
        nullForInt.withArray("params").addNull().add(1);
        assertThat(peer.call(nullForInt).error().message()).contains("null cannot be bound to the primitive int");
        assertThat(calculator.invocations).hasValue(0);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aCallerWhoseArgumentsDoNotFitSeesABadRequestNamingServiceMethodAndArgument(Mode mode) {
        DriftedCalculator drifted = resources.modePair(mode, b -> b.service(Calculator.class, calculator))
                .client(DriftedCalculator.class);
        assertThatThrownBy(() -> drifted.divideExactly(8.5, 2)).isExactlyInstanceOf(HalibutClientException.class)
                .isNotInstanceOf(ServiceInvocationException.class)
                .hasMessageContaining("Calculator.divideExactly").hasMessageContaining("Argument 0")
                .hasMessageContaining("the double 8.5");
        assertThatThrownBy(() -> drifted.echo(42L)).isExactlyInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Calculator.echo").hasMessageContaining("the int64 42");
        assertThat(calculator.invocations).hasValue(0);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aResultThatDoesNotFitTheCallersTypeFailsTheCallClearly(Mode mode) {
        DriftedCalculator drifted = resources.modePair(mode, b -> b.service(Calculator.class, calculator))
                .client(DriftedCalculator.class);
        assertThatThrownBy(() -> drifted.divide(5, 2)).isExactlyInstanceOf(HalibutClientException.class)
                .hasMessageContaining("Calculator.divide").hasMessageContaining("result cannot be read as int")
                .hasMessageContaining("the double 2.5");
        // The service did run: the failure is the caller's, after the answer came.
        assertThat(calculator.invocations).hasValue(1);
    }
}
