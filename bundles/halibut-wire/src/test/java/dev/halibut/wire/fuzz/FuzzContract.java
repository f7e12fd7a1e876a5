package dev.halibut.wire.fuzz;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.halibut.DataStream;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A service contract using the kinds of declared types a real one may use. The fuzz tests bind every
 * decoded argument and result to each of these types, as a service host or caller would.
 */
public interface FuzzContract {

    enum Colour { RED, GREEN, BLUE }

    record Line(String name, List<Integer> values, Map<String, Double> weights) {
    }

    record Parcel(String label, DataStream content, List<DataStream> extras, Optional<Instant> sent) {
    }

    /** A mutable bean, bound through its setters. */
    final class Settings {
        private String label;
        private long count;
        private byte[] data;
        private Colour colour;
        private Settings child;

        public String getLabel() {
            return label;
        }

        public void setLabel(String label) {
            this.label = label;
        }

        public long getCount() {
            return count;
        }

        public void setCount(long count) {
            this.count = count;
        }

        public byte[] getData() {
            return data;
        }

        public void setData(byte[] data) {
            this.data = data;
        }

        public Colour getColour() {
            return colour;
        }

        public void setColour(Colour colour) {
            this.colour = colour;
        }

        public Settings getChild() {
            return child;
        }

        public void setChild(Settings child) {
            this.child = child;
        }
    }

    /** A user type asking for class-name typing: the codec must refuse every class name in the data. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
    interface Shape {
    }

    record Circle(double radius) implements Shape {
    }

    /** One parameter of each declared type the fuzz tests bind to. */
    @SuppressWarnings("unused")
    void everything(int i, long l, double d, boolean b, char c, String s, byte[] bytes, int[] ints, Colour colour,
                    Line line, Parcel parcel, Settings settings, List<Line> lines, Map<String, Long> map,
                    Set<Colour> colours, Optional<String> optional, Instant instant, Duration duration,
                    LocalDate date, UUID uuid, URI uri, BigDecimal decimal, BigInteger integer, Object anything,
                    DataStream stream, Shape shape);

    /** The declared types of {@link #everything}. */
    static List<Type> types() {
        Method m = Arrays.stream(FuzzContract.class.getMethods()).filter(x -> x.getName().equals("everything"))
                .findFirst().orElseThrow();
        return List.of(m.getGenericParameterTypes());
    }
}
