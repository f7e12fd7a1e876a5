package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket and pacing rules of protocol.md, "Failed handshakes", on a clock the test moves. */
class FailedHandshakeThrottleTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(1_000 * MS);
    private final FailedHandshakeThrottle throttle = new FailedHandshakeThrottle(3, Duration.ofMillis(10), now::get);
    private final InetAddress a = address("127.0.0.1");
    private final InetAddress b = address("127.0.0.2");

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anAddressWithoutFailuresIsAdmittedAtOnceAndNotRemembered() {
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.admit(a)).isEqualTo(new FailedHandshakeThrottle.Admission(false, 0, -1));
        }
        assertThat(throttle.trackedAddresses()).isZero();
    }

    @Test
    void theBurstIsReportedInFullAndItsLastFailureStartsThrottling() {
        assertThat(throttle.failed(a)).isEqualTo(FailedHandshakeThrottle.Failure.REPORT);
        assertThat(throttle.failed(a)).isEqualTo(FailedHandshakeThrottle.Failure.REPORT);
        assertThat(throttle.isThrottled(a)).isFalse();
        assertThat(throttle.failed(a)).isEqualTo(FailedHandshakeThrottle.Failure.THROTTLING_STARTED);
        assertThat(throttle.isThrottled(a)).isTrue();
        assertThat(throttle.failed(a)).isEqualTo(FailedHandshakeThrottle.Failure.SUPPRESSED);
        // Another address is not affected.
        assertThat(throttle.isThrottled(b)).isFalse();
        assertThat(throttle.admit(b).delayNanos()).isZero();
    }

    @Test
    void aLongerQueueLetsAsManyConnectionsWaitAsItHasSlotsBeforeOneIsRefused() {
        FailedHandshakeThrottle deep = new FailedHandshakeThrottle(3, 40, Duration.ofMillis(10), now::get);
        for (int i = 0; i < 3; i++) {
            deep.failed(a);
        }
        assertThat(deep.isThrottled(a)).isTrue();
        // Slots now .. +400 ms: 41 connections wait (none refused, as 33 waiting connections of an attacker and a
        // trusted client behind them would), the 42nd is closed at once.
        for (int i = 0; i <= 40; i++) {
            FailedHandshakeThrottle.Admission admission = deep.admit(a);
            assertThat(admission.refused()).as("connection %d", i).isFalse();
            assertThat(admission.delayNanos()).isEqualTo(i * 10 * MS);
        }
        assertThat(deep.admit(a).refused()).isTrue();
    }

    @Test
    void theQueueIsNeverShorterThanTheBurst() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new FailedHandshakeThrottle(3, 2, Duration.ofMillis(10), now::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQueued");
    }

    @Test
    void aThrottledAddressIsPacedOneSlotPerIntervalAndRefusedBeyondBurstSlots() {
        exhaust(a);
        // Slots: now, +10, +20, +30 ms (at most burst × interval ahead); the next one is refused.
        assertThat(throttle.admit(a).delayNanos()).isEqualTo(0);
        assertThat(throttle.admit(a).delayNanos()).isEqualTo(10 * MS);
        assertThat(throttle.admit(a).delayNanos()).isEqualTo(20 * MS);
        assertThat(throttle.admit(a).delayNanos()).isEqualTo(30 * MS);
        FailedHandshakeThrottle.Admission refused = throttle.admit(a);
        assertThat(refused.refused()).isTrue();
        // Time moves on: the queue has moved up one slot, and the address stays throttled until its bucket
        // is full again, even though it has regained one failure.
        now.addAndGet(10 * MS);
        assertThat(throttle.admit(a).delayNanos()).isEqualTo(30 * MS);
    }

    @Test
    void throttlingEndsOnceTheBucketRefillsAndReportsWhatWasSuppressed() {
        exhaust(a);
        throttle.failed(a);
        throttle.failed(a);
        // Three failures (burst) plus two overdrawn: 50 ms to refill. Until then the address stays paced.
        now.addAndGet(45 * MS);
        assertThat(throttle.admit(a).endedThrottling()).isFalse();
        assertThat(throttle.isThrottled(a)).isTrue();
        now.addAndGet(5 * MS);
        FailedHandshakeThrottle.Admission admission = throttle.admit(a);
        assertThat(admission.refused()).isFalse();
        assertThat(admission.delayNanos()).isZero();
        assertThat(admission.endedThrottling()).isTrue();
        assertThat(admission.suppressedWhileThrottled()).isEqualTo(2);
        assertThat(throttle.trackedAddresses()).as("forgotten once fully recovered").isZero();
        assertThat(throttle.isThrottled(a)).isFalse();
    }

    @Test
    void aFullyRecoveredAddressIsForgotten() {
        throttle.failed(a);
        assertThat(throttle.trackedAddresses()).isEqualTo(1);
        now.addAndGet(10 * MS);
        throttle.admit(a);
        assertThat(throttle.trackedAddresses()).isZero();
    }

    @Test
    void ipv6AddressesCountByTheirSlash64() {
        InetAddress one = address("2001:db8:1:2::1");
        InetAddress sameNet = address("2001:db8:1:2:ffff::9");
        InetAddress otherNet = address("2001:db8:1:3::1");
        exhaust(one);
        assertThat(throttle.isThrottled(sameNet)).isTrue();
        assertThat(throttle.isThrottled(otherNet)).isFalse();
    }

    @Test
    void atMostTenThousandAddressesAreRemembered() throws UnknownHostException {
        for (int i = 0; i < FailedHandshakeThrottle.MAX_ADDRESSES + 500; i++) {
            throttle.failed(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
        }
        assertThat(throttle.trackedAddresses()).isEqualTo(FailedHandshakeThrottle.MAX_ADDRESSES);
    }

    private void exhaust(InetAddress address) {
        while (!throttle.isThrottled(address)) {
            throttle.failed(address);
        }
    }
}
