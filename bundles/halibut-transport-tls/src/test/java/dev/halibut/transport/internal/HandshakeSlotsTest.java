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
}
