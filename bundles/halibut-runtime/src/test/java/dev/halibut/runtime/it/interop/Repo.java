package dev.halibut.runtime.it.interop;

import java.util.List;

/** A generic contract; {@link ItemRepo} binds {@code T}. */
public interface Repo<T> {
    /** The first item saved, or null. */
    T first();

    /** Every item saved, in order. */
    List<T> all();

    /** Keeps the item. */
    void save(T item);
}
