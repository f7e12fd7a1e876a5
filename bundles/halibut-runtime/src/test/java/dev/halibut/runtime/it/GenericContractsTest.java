package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.halibut.Thumbprints;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.ModePair.Mode;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.IncomingResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Contracts that extend generic interfaces behave like local calls: the type variables are resolved against
 * the contract on both sides, for parameters and results, nested inside collections and maps, bounded, and
 * for a method's own type variables (which bind as their bound).
 */
class GenericContractsTest {

    public record Item(String name, int count) {
    }

    /** A generic repository, as an OSGi service interface would declare one. */
    public interface Repo<T> {
        T first();

        List<T> all();

        void save(T item);

        void saveGroups(Map<String, List<T>> groups);

        Map<String, List<T>> grouped();

        Optional<T> find(String name);

        /** Overloads with the same name and count, told apart by {@code paramTypes}. */
        String kind(T item);

        String kind(List<T> items);

        /** A method's own bounded type variable binds as its bound. */
        <N extends Number> N largest(List<N> values);

        CompletableFuture<T> firstAsync();

        /** The method's own {@code T} hides the interface's: it binds as Number, not as the contract's Item. */
        <T extends Number> T sum(List<T> values);
    }

    public interface ItemRepo extends Repo<Item> {
    }

    /** A bounded class type variable, bound by a sub-interface through another generic level. */
    public interface Measures<N extends Number> {
        N total(List<N> values);
    }

    public interface Totals<N extends Number> extends Measures<N> {
    }

    public interface LongTotals extends Totals<Long> {
    }

    public static final class ItemRepoService implements ItemRepo {
        final List<Object> saved = new CopyOnWriteArrayList<>();

        @Override
        public Item first() {
            return new Item("apple", 3);
        }

        @Override
        public List<Item> all() {
            return List.of(new Item("apple", 3), new Item("pear", 5));
        }

        @Override
        public void save(Item item) {
            saved.add(item);
        }

        @Override
        public void saveGroups(Map<String, List<Item>> groups) {
            groups.values().forEach(saved::addAll);
        }

        @Override
        public Map<String, List<Item>> grouped() {
            Map<String, List<Item>> m = new LinkedHashMap<>();
            m.put("fruit", List.of(new Item("apple", 3), new Item("pear", 5)));
            m.put("none", List.of());
            return m;
        }

        @Override
        public Optional<Item> find(String name) {
            return all().stream().filter(i -> i.name().equals(name)).findFirst();
        }

        @Override
        public String kind(Item item) {
            saved.add(item);
            return "one";
        }

        @Override
        public String kind(List<Item> items) {
            saved.addAll(items);
            return "many";
        }

        @Override
        public <N extends Number> N largest(List<N> values) {
            N best = values.get(0);
            for (N v : values) {
                saved.add(v);
                if (v.doubleValue() > best.doubleValue()) {
                    best = v;
                }
            }
            return best;
        }

        @Override
        public CompletableFuture<Item> firstAsync() {
            throw new AssertionError("the service side never receives Async calls by that name");
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends Number> T sum(List<T> values) {
            saved.addAll(values);
            return (T) Long.valueOf(values.stream().mapToLong(Number::longValue).sum());
        }
    }

    public static final class LongTotalsService implements LongTotals {
        final List<Object> seen = new CopyOnWriteArrayList<>();

        @Override
        public Long total(List<Long> values) {
            seen.addAll(values);
            return values.stream().mapToLong(Long::longValue).sum();
        }
    }

    private final ItemRepoService repo = new ItemRepoService();
    private final LongTotalsService totals = new LongTotalsService();

    @RegisterExtension
    final TestResources resources = new TestResources();

    private ModePair pair(Mode mode) {
        return resources.modePair(mode, b -> b.service(ItemRepo.class, repo).service(LongTotals.class, totals));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void resultsBindToTheContractsTypeArgument(Mode mode) throws Exception {
        ItemRepo items = pair(mode).client(ItemRepo.class);
        Item first = items.first();
        assertThat(first).isEqualTo(new Item("apple", 3));
        assertThat(items.all()).containsExactly(new Item("apple", 3), new Item("pear", 5))
                .allSatisfy(i -> assertThat(i).isInstanceOf(Item.class));
        Map<String, List<Item>> grouped = items.grouped();
        assertThat(grouped).containsOnlyKeys("fruit", "none");
        assertThat(grouped.get("fruit")).containsExactly(new Item("apple", 3), new Item("pear", 5))
                .allSatisfy(i -> assertThat(i).isInstanceOf(Item.class));
        assertThat(grouped.get("none")).isEmpty();
        assertThat(items.find("pear")).contains(new Item("pear", 5));
        assertThat(items.firstAsync().get(30, TimeUnit.SECONDS)).isEqualTo(new Item("apple", 3));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void parametersBindToTheRegisteredContractsTypeArgument(Mode mode) {
        ItemRepo items = pair(mode).client(ItemRepo.class);
        items.save(new Item("plum", 1));
        Map<String, List<Item>> groups = new LinkedHashMap<>();
        groups.put("stone", List.of(new Item("cherry", 2), new Item("peach", 4)));
        items.saveGroups(groups);
        assertThat(repo.saved).containsExactly(new Item("plum", 1), new Item("cherry", 2), new Item("peach", 4))
                .allSatisfy(i -> assertThat(i).isInstanceOf(Item.class));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void overloadsOnAGenericParameterAreToldApart(Mode mode) {
        ItemRepo items = pair(mode).client(ItemRepo.class);
        assertThat(items.kind(new Item("fig", 1))).isEqualTo("one");
        assertThat(items.kind(List.of(new Item("date", 2)))).isEqualTo("many");
        assertThat(repo.saved).containsExactly(new Item("fig", 1), new Item("date", 2));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void boundedTypeVariablesBindAsTheirBoundOrTheContractsArgument(Mode mode) {
        ModePair pair = pair(mode);
        ItemRepo items = pair.client(ItemRepo.class);
        // <N extends Number>: the service sees the numbers the wire carried (int32 as Integer, int64 as Long).
        Long largestLong = items.largest(List.of(3L, 1L << 40, 7L));
        assertThat(largestLong).isEqualTo(1L << 40);
        Integer largestInt = items.largest(List.of(3, 9, 7));
        assertThat(largestInt).isEqualTo(9);
        assertThat(repo.saved).containsExactly(3L, 1L << 40, 7L, 3, 9, 7);
        Long sum = items.sum(List.of(1L << 33, 1L));
        assertThat(sum).isEqualTo((1L << 33) + 1);
        assertThat(repo.saved).endsWith(1L << 33, 1L);
        // Measures<N extends Number> bound to Long two levels down: the elements are Longs even when small.
        LongTotals sums = pair.client(LongTotals.class);
        assertThat(sums.total(List.of(1L, 2L, 3L))).isEqualTo(6L);
        assertThat(totals.seen).containsExactly(1L, 2L, 3L).allSatisfy(v -> assertThat(v).isInstanceOf(Long.class));
    }

    /**
     * The names a peer may send in {@code paramTypes} for a generic parameter: the erasure of the declaration
     * (what this implementation sends), the generic declaration as earlier versions sent it, and the type
     * resolved against the contract. Each picks the right overload.
     */
    @Test
    void paramTypesNameAGenericParameterByErasureByDeclarationOrResolved() throws Exception {
        HalibutRuntime host = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(ItemRepo.class, repo).trust(Thumbprints.of(TestIdentities.OCTOPUS.certificate())).build();
        resources.add(host);
        int port = host.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (RawPeer peer = RawPeer.callerOf(host, port)) {
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("java.lang.Object", "one");
            expected.put("T", "one");
            expected.put(Item.class.getName(), "one");
            expected.put("java.util.List", "many");
            expected.put("java.util.List<T>", "many");
            int n = 0;
            for (Map.Entry<String, String> e : expected.entrySet()) {
                ObjectNode request = RawPeer.request("r" + (++n), "ItemRepo", "kind");
                request.withArray("paramTypes").add(e.getKey());
                if (e.getValue().equals("one")) {
                    request.withArray("params").addObject().put("name", "kiwi").put("count", 1);
                } else {
                    request.withArray("params").addArray().addObject().put("name", "kiwi").put("count", 1);
                }
                IncomingResponse response = peer.call(request);
                assertThat(response.error()).as(e.getKey()).isNull();
                assertThat(response.bindResult(String.class)).as(e.getKey()).isEqualTo(e.getValue());
            }
            ObjectNode unknown = RawPeer.request("r0", "ItemRepo", "kind");
            unknown.withArray("paramTypes").add("java.util.Set");
            unknown.withArray("params").addArray();
            assertThat(peer.call(unknown).error().kind()).isEqualTo(ErrorKind.METHOD_NOT_FOUND);
        }
        assertThat(repo.saved).hasSize(5).allSatisfy(i -> assertThat(i).isEqualTo(new Item("kiwi", 1)));
    }
}
