package dev.halibut.runtime.it.interop;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The Java side of {@link ItemRepo}: keeps what it is given, in order. */
final class ItemStore implements ItemRepo {
    final List<InteropService.Item> items = new CopyOnWriteArrayList<>();

    @Override
    public InteropService.Item first() {
        return items.isEmpty() ? null : items.get(0);
    }

    @Override
    public List<InteropService.Item> all() {
        return List.copyOf(items);
    }

    @Override
    public void save(InteropService.Item item) {
        items.add(item);
    }
}
