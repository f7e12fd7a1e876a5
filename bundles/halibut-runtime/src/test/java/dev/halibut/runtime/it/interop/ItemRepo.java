package dev.halibut.runtime.it.interop;

/** {@link Repo} of {@link InteropService.Item}: served under the wire name {@code ItemRepo}. */
public interface ItemRepo extends Repo<InteropService.Item> {
}
