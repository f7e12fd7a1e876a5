package dev.halibut.runtime.it.interop;

import dev.halibut.DataStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Java side of {@link InteropService}: it records every call with the arguments exactly as bound (their
 * Java types included), so a test can assert what a peer in another language made of its values.
 */
final class RecordingInteropService implements InteropService {

    /** One call: the method name and its arguments as bound ({@code byte[]} as hex, to compare by value). */
    record Call(String method, List<Object> args) {
        static Call of(String method, Object... args) {
            return new Call(method, Arrays.asList(args));
        }
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();

    private void record(String method, Object... args) {
        calls.add(Call.of(method, args));
    }

    @Override
    public int addInts(int a, int b) {
        record("addInts", a, b);
        return a + b;
    }

    @Override
    public long twiceLong(long v) {
        record("twiceLong", v);
        return 2 * v;
    }

    @Override
    public double half(double v) {
        record("half", v);
        return v / 2;
    }

    @Override
    public boolean negate(boolean v) {
        record("negate", v);
        return !v;
    }

    @Override
    public String greet(String name) {
        record("greet", name);
        return "Hello, " + name;
    }

    @Override
    public byte[] reverse(byte[] data) {
        record("reverse", HexFormat.of().formatHex(data));
        byte[] reversed = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            reversed[i] = data[data.length - 1 - i];
        }
        return reversed;
    }

    @Override
    public Color next(Color color) {
        record("next", color);
        return Color.values()[(color.ordinal() + 1) % Color.values().length];
    }

    @Override
    public Item relabel(Item item, String label) {
        record("relabel", item, label);
        List<String> tags = new ArrayList<>(item.tags());
        tags.add(label);
        return new Item(label, item.count() + 1, tags);
    }

    @Override
    public List<Integer> doubled(List<Integer> values) {
        record("doubled", values);
        return values.stream().map(v -> 2 * v).toList();
    }

    @Override
    public Map<String, Long> counts(Map<String, Long> counts) {
        record("counts", counts);
        Map<String, Long> result = new LinkedHashMap<>();
        counts.forEach((k, v) -> result.put(k, v + 1));
        result.put("total", counts.values().stream().mapToLong(Long::longValue).sum());
        return result;
    }

    @Override
    public Optional<String> find(Optional<String> key) {
        record("find", key);
        return key.map(k -> "found " + k);
    }

    @Override
    public Instant plus(Instant instant, Duration duration) {
        record("plus", instant, duration);
        return instant.plus(duration);
    }

    @Override
    public LocalDate nextDay(LocalDate day) {
        record("nextDay", day);
        return day.plusDays(1);
    }

    @Override
    public String kind(int value) {
        record("kind(int)", value);
        return "int:" + value;
    }

    @Override
    public String kind(String value) {
        record("kind(String)", value);
        return "string:" + value;
    }

    @Override
    public Mixed echo(Mixed mixed) {
        record("echo", mixed.f(), mixed.c(), mixed.s(), mixed.b(), mixed.id(), mixed.offset(), mixed.time(),
                mixed.local(), Arrays.stream(mixed.ints()).boxed().toList(), mixed.tags(), mixed.big(), mixed.maybe());
        return mixed;
    }

    @Override
    public DataStream upper(DataStream text) {
        try {
            byte[] bytes = text.readAllBytes();
            record("upper", bytes.length);
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] >= 'a' && bytes[i] <= 'z') {
                    bytes[i] -= 'a' - 'A';
                }
            }
            return DataStream.fromBytes(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the stream the peer sent", e);
        }
    }

    @Override
    public int charge(int amount) throws PaymentDeclinedException {
        record("charge", amount);
        if (amount > 100) {
            throw new PaymentDeclinedException("declined: " + amount);
        }
        return amount;
    }
}
