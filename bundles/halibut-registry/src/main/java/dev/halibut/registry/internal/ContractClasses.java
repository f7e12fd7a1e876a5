package dev.halibut.registry.internal;

import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Finds a contract interface for an import by the package it lives in: the class is loaded from the
 * resolved bundle that exports that package (the highest version, if several do), which is the same
 * class its consumers are wired to. The registry bundle itself imports no contract packages.
 */
final class ContractClasses {

    /** A loaded contract and the bundle it came from. */
    record Found(Class<?> type, Bundle bundle) {
    }

    private ContractClasses() {
    }

    /**
     * @return the contract, or null when no resolved bundle exports its package yet
     * @throws IllegalArgumentException when a bundle exports the package but the class is not there or
     *                                  is not an interface: waiting will not help, the configuration is wrong
     */
    static Found find(BundleContext context, String className) {
        int dot = className.lastIndexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException(className + " is not a fully qualified interface name");
        }
        String pkg = className.substring(0, dot);
        Bundle best = null;
        Version bestVersion = null;
        for (Bundle bundle : context.getBundles()) {
            if ((bundle.getState() & (Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) == 0) {
                continue;
            }
            BundleWiring wiring = bundle.adapt(BundleWiring.class);
            if (wiring == null || !wiring.isCurrent()) {
                continue;
            }
            for (BundleCapability cap : wiring.getCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                Map<String, Object> attrs = cap.getAttributes();
                if (pkg.equals(attrs.get(PackageNamespace.PACKAGE_NAMESPACE))) {
                    Object v = attrs.get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE);
                    Version version = v instanceof Version ver ? ver : Version.emptyVersion;
                    if (best == null || version.compareTo(bestVersion) > 0) {
                        best = bundle;
                        bestVersion = version;
                    }
                }
            }
        }
        if (best == null) {
            return null;
        }
        Class<?> type;
        try {
            type = best.loadClass(className);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("bundle " + best.getSymbolicName() + " exports package " + pkg
                    + " but it has no class " + className);
        }
        if (!type.isInterface()) {
            throw new IllegalArgumentException(className + " is a class; only interfaces can be imported");
        }
        return new Found(type, best);
    }
}
