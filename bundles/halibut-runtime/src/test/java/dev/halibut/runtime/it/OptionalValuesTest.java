package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.runtime.it.ModePair.Mode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code Optional.empty()} arrives as {@code Optional.empty()}, never as {@code null}, in both directions:
 * as a parameter, as a result, inside records and collections; a present value arrives as itself.
 */
class OptionalValuesTest {

    public record Profile(String name, Optional<String> nickname, List<Optional<Integer>> scores) {
    }

    public interface Profiles {
        /** Returns what it was given. */
        Optional<String> nickname(Optional<String> given);

        OptionalInt score(OptionalInt given);

        Profile echo(Profile profile);

        Map<String, Optional<String>> aliases(Map<String, Optional<String>> given);

        CompletableFuture<Optional<String>> nicknameAsync(Optional<String> given);
    }

    /** Records every argument it receives exactly as it received it. */
    public static final class ProfilesService implements Profiles {
        final List<Object> received = new CopyOnWriteArrayList<>();

        private <T> T seen(T value) {
            received.add(value == null ? "null" : value);
            return value;
        }

        @Override
        public Optional<String> nickname(Optional<String> given) {
            return seen(given);
        }

        @Override
        public OptionalInt score(OptionalInt given) {
            return seen(given);
        }

        @Override
        public Profile echo(Profile profile) {
            return seen(profile);
        }

        @Override
        public Map<String, Optional<String>> aliases(Map<String, Optional<String>> given) {
            return seen(given);
        }

        @Override
        public CompletableFuture<Optional<String>> nicknameAsync(Optional<String> given) {
            throw new AssertionError("the service side never receives Async calls by that name");
        }
    }

    private final ProfilesService service = new ProfilesService();

    @RegisterExtension
    final TestResources resources = new TestResources();

    private Profiles profiles(Mode mode) {
        return resources.modePair(mode, b -> b.service(Profiles.class, service)).client(Profiles.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void emptyArrivesAsEmptyAsParameterAndResult(Mode mode) throws Exception {
        Profiles p = profiles(mode);
        assertThat(p.nickname(Optional.empty())).isNotNull().isEmpty();
        assertThat(p.score(OptionalInt.empty())).isNotNull().isEmpty();
        assertThat(p.nicknameAsync(Optional.empty()).get(30, TimeUnit.SECONDS)).isNotNull().isEmpty();
        assertThat(service.received).containsExactly(Optional.empty(), OptionalInt.empty(), Optional.empty());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void presentValuesArriveAsThemselves(Mode mode) throws Exception {
        Profiles p = profiles(mode);
        assertThat(p.nickname(Optional.of("bob"))).contains("bob");
        assertThat(p.score(OptionalInt.of(7))).hasValue(7);
        assertThat(p.nicknameAsync(Optional.of("al")).get(30, TimeUnit.SECONDS)).contains("al");
        assertThat(service.received).containsExactly(Optional.of("bob"), OptionalInt.of(7), Optional.of("al"));
    }

    /** A {@code null} passed for an {@code Optional} parameter travels as BSON null: it arrives empty too. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void nullForAnOptionalArrivesEmpty(Mode mode) {
        Profiles p = profiles(mode);
        assertThat(p.nickname(null)).isNotNull().isEmpty();
        assertThat(service.received).containsExactly(Optional.empty());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void optionalsInsideRecordsCollectionsAndMapsKeepTheirEmptiness(Mode mode) {
        Profiles p = profiles(mode);
        Profile sent = new Profile("carol", Optional.empty(), Arrays.asList(Optional.of(3), Optional.empty()));
        Profile back = p.echo(sent);
        assertThat(back).isEqualTo(sent);
        assertThat(service.received).containsExactly(sent);
        assertThat(back.nickname()).isNotNull().isEmpty();
        assertThat(back.scores()).containsExactly(Optional.of(3), Optional.empty());

        Map<String, Optional<String>> aliases = Map.of("a", Optional.of("x"), "b", Optional.empty());
        assertThat(p.aliases(aliases)).isEqualTo(aliases);
        assertThat(service.received).last().isEqualTo(aliases);
    }
}
