package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** At most {@code max} handshakes start at once; the others start, in order, as handshakes finish. */
class HandshakeSlotsTest {

    private final HandshakeSlots slots = new HandshakeSlots(2);
    private final List<Integer> started = new ArrayList<>();

    @Test
    void startsUpToTheBoundAndQueuesTheRest() {
        for (int i = 0; i < 5; i++) {
            int n = i;
            slots.start(() -> started.add(n));
        }
        assertThat(started).containsExactly(0, 1);
        assertThat(slots.busy()).isEqualTo(2);
        assertThat(slots.waiting()).isEqualTo(3);

        slots.finished();
        assertThat(started).containsExactly(0, 1, 2);
        assertThat(slots.busy()).isEqualTo(2);
        slots.finished();
        slots.finished();
        assertThat(started).containsExactly(0, 1, 2, 3, 4);
        assertThat(slots.waiting()).isZero();

        slots.finished();
        slots.finished();
        assertThat(slots.busy()).isZero();
        slots.start(() -> started.add(5));
        assertThat(started).endsWith(5);
        assertThat(slots.busy()).isEqualTo(1);
    }

    @Test
    void startsThatFailAndFinishAtOnceHandTheirSlotsOnWithoutRecursing() {
        HandshakeSlots one = new HandshakeSlots(1);
        List<Integer> attempted = new ArrayList<>();
        one.start(() -> attempted.add(-1)); // holds the only slot
        for (int i = 0; i < 100_000; i++) {
            int n = i;
            // Like a listener whose threads are all refused at shutdown: each start gives its slot back at once.
            one.start(() -> {
                attempted.add(n);
                one.finished();
            });
        }
        assertThat(one.waiting()).isEqualTo(100_000);
        one.finished(); // would overflow the stack if each hand-on called the next
        assertThat(attempted).hasSize(100_001);
        assertThat(one.waiting()).isZero();
        assertThat(one.busy()).isZero();
    }
}
