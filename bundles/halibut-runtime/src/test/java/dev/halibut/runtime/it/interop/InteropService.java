package dev.halibut.runtime.it.interop;

import dev.halibut.DataStream;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

/**
 * The contract the Python peer (src/test/python/halibut_peer.py) calls and serves: one method per row of
 * the value table in docs/protocol.md section 4, an overload pair told apart by {@code paramTypes}, and a
 * declared exception. Both sides implement the same behaviour; each comment says what it is.
 */
public interface InteropService {
    /** {@code a + b}. */
    int addInts(int a, int b);

    /** {@code 2 * v}. */
    long twiceLong(long v);

    /** {@code v / 2}. */
    double half(double v);

    /** {@code !v}. */
    boolean negate(boolean v);

    /** {@code "Hello, " + name}. */
    String greet(String name);

    /** The bytes in reverse order. */
    byte[] reverse(byte[] data);

    /** The next constant, after the last the first. */
    Color next(Color color);

    /** The item with {@code label}, its count plus one, {@code label} appended to its tags. */
    Item relabel(Item item, String label);

    /** Every value doubled. */
    List<Integer> doubled(List<Integer> values);

    /** Every count plus one, and {@code total}: the sum of the counts given. */
    Map<String, Long> counts(Map<String, Long> counts);

    /** {@code "found " + key} when present, empty when empty. */
    Optional<String> find(Optional<String> key);

    /** {@code instant + duration}. */
    Instant plus(Instant instant, Duration duration);

    /** The day after. */
    LocalDate nextDay(LocalDate day);

    /** {@code "int:" + value}. */
    String kind(int value);

    /** {@code "string:" + value}. */
    String kind(String value);

    /** The amount, or the declared exception with message {@code "declined: " + amount} above 100. */
    int charge(int amount) throws PaymentDeclinedException;

    /** The same values back: the rows of the value table that the methods above do not cover. */
    Mixed echo(Mixed mixed);

    /** The stream's bytes with ASCII letters upper-cased, as a new stream. */
    DataStream upper(DataStream text);

    /** The remaining rows of the value table, in one record. */
    record Mixed(float f, char c, short s, byte b, UUID id, OffsetDateTime offset, LocalTime time,
                 LocalDateTime local, int[] ints, Set<String> tags, BigInteger big, OptionalInt maybe) {
    }

    /** A colour, sent by its constant's name. */
    enum Color { RED, GREEN, BLUE }

    /** A record, sent as a document with one field per component. */
    record Item(String label, int count, List<String> tags) {
    }
}
