package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The check before an idle connection carries a request, against a scripted connection: no NEXT when the peer
 * was heard from within the skip window and the connection is open and quiet; NEXT / PROCEED otherwise; never
 * ready when the connection is known to have ended; and the event-loop variant's answers.
 */
class LivenessTest {

    private static final Duration WINDOW = Duration.ofMinutes(10); // longer than any test: "heard just now"
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** A connection whose state and answers the test sets; it records the NEXTs sent. */
    private static final class ScriptedWire implements Liveness.Wire {
        Liveness.QuietState quiet = Liveness.QuietState.OPEN_AND_QUIET;
        boolean readyForNext = true;
        final Deque<Object> answers = new ArrayDeque<>(); // Frame, IOException, or null (nothing there yet)
        int nextsSent;
        final List<String> calls = new ArrayList<>();
        Consumer<Boolean> watch;

        @Override
        public Liveness.QuietState quietState() {
            calls.add("quietState");
            return quiet;
        }

        @Override
        public boolean readyForNext() {
            return readyForNext;
        }

        @Override
        public void sendNext() {
            nextsSent++;
        }

        @Override
        public void sendNextNow() {
            nextsSent++;
        }

        @Override
        public Frame readFrame(Duration timeout) throws IOException {
            return answer();
        }

        @Override
        public Frame pollFrame() throws IOException {
            return answer();
        }

        private Frame answer() throws IOException {
            Object a = answers.poll();
            if (a instanceof IOException e) {
                throw e;
            }
            return (Frame) a;
        }

        @Override
        public Connection.ReadableWatch onReadable(Duration timeout, Consumer<Boolean> callback) {
            watch = callback;
            return () -> true;
        }
    }

    private static Frame frame(FrameType type) {
        return new Frame(type, new byte[0]);
    }

    @Test
    void aQuietConnectionHeardFromWithinTheSkipWindowIsReadyWithoutNext() {
        ScriptedWire wire = new ScriptedWire();
        Liveness liveness = new Liveness(wire, "test connection");
        assertThat(liveness.readyForRequest(TIMEOUT, WINDOW)).isTrue();
        assertThat(wire.nextsSent).isZero();
    }

    @Test
    void aConnectionKnownToHaveEndedIsNotReadyAndNothingIsSent() {
        ScriptedWire wire = new ScriptedWire();
        wire.quiet = Liveness.QuietState.ENDED;
        Liveness liveness = new Liveness(wire, "test connection");
        assertThat(liveness.readyForRequest(TIMEOUT, WINDOW)).isFalse();
        assertThat(wire.nextsSent).isZero();
    }

    @Test
    void outsideTheSkipWindowNextAndProceedDecideWithoutAskingTheConnectionsState() {
        ScriptedWire wire = new ScriptedWire();
        Liveness liveness = new Liveness(wire, "test connection");
        wire.answers.add(frame(FrameType.PROCEED));
        assertThat(liveness.readyForRequest(TIMEOUT, Duration.ZERO)).isTrue();
        assertThat(wire.nextsSent).isEqualTo(1);
        assertThat(wire.calls).doesNotContain("quietState");
    }

    @Test
    void whenTheStateCannotBeToldNextAndProceedDecide() {
        ScriptedWire wire = new ScriptedWire();
        wire.quiet = Liveness.QuietState.UNKNOWN;
        Liveness liveness = new Liveness(wire, "test connection");
        wire.answers.add(new SocketTimeoutException("no PROCEED"));
        assertThat(liveness.readyForRequest(TIMEOUT, WINDOW)).isFalse();
        assertThat(wire.nextsSent).isEqualTo(1);
    }

    @Test
    void anAnswerOtherThanProceedOrAnEndFailsTheCheck() {
        ScriptedWire wire = new ScriptedWire();
        Liveness liveness = new Liveness(wire, "test connection");
        wire.answers.add(frame(FrameType.END));
        assertThat(liveness.checkAlive(TIMEOUT)).isFalse();
        wire.answers.add(new EOFException("closed"));
        assertThat(liveness.checkAlive(TIMEOUT)).isFalse();
    }

    @Test
    void theEventLoopCheckSendsNextAndAnswersWithWhetherProceedCame() {
        ScriptedWire wire = new ScriptedWire();
        Liveness liveness = new Liveness(wire, "test connection");
        List<Boolean> results = new ArrayList<>();

        liveness.checkAliveAsync(TIMEOUT, results::add);
        assertThat(wire.nextsSent).isEqualTo(1);
        assertThat(results).isEmpty(); // waits, holding no thread
        wire.answers.add(frame(FrameType.PROCEED));
        wire.watch.accept(true);

        liveness.checkAliveAsync(TIMEOUT, results::add);
        wire.watch.accept(false); // nothing within the timeout

        liveness.checkAliveAsync(TIMEOUT, results::add);
        wire.answers.add(frame(FrameType.END));
        wire.watch.accept(true);

        liveness.checkAliveAsync(TIMEOUT, results::add);
        wire.watch.accept(true); // woken with nothing there: not alive, and no wait

        assertThat(results).containsExactly(true, false, false, false);
        assertThat(wire.nextsSent).isEqualTo(4);
    }

    @Test
    void theEventLoopCheckOfAConnectionWithSomethingUnreadFailsAtOnceWithoutNext() {
        ScriptedWire wire = new ScriptedWire();
        wire.readyForNext = false;
        Liveness liveness = new Liveness(wire, "test connection");
        List<Boolean> results = new ArrayList<>();
        liveness.checkAliveAsync(TIMEOUT, results::add);
        assertThat(results).containsExactly(false);
        assertThat(wire.nextsSent).isZero();
    }
}
