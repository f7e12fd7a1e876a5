package dev.halibut.rsa.internal;

/**
 * Registered (as a service of this bundle only) once the registry's own exporter is disabled: the distribution
 * provider requires it, so a service is never exported by both at once.
 */
public interface ExportsHandedOver {
}
