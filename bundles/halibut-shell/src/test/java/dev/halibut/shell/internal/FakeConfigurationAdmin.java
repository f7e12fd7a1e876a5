package dev.halibut.shell.internal;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Config Admin in memory, for the commands' unit tests: configurations by PID, with a factory PID or not,
 * found by the two filters the commands use ({@code (service.pid=...)}, {@code (service.factoryPid=...)}).
 */
final class FakeConfigurationAdmin {
    private static final Pattern FILTER = Pattern.compile("\\((service\\.pid|service\\.factoryPid)=([^)]+)\\)");

    private final Map<String, Hashtable<String, Object>> byPid = new LinkedHashMap<>();

    /** Adds a configuration of a factory PID (its PID is {@code factoryPid.n}). */
    FakeConfigurationAdmin factory(String factoryPid, Map<String, Object> properties) {
        String pid = factoryPid + "." + byPid.size();
        Hashtable<String, Object> p = new Hashtable<>(properties);
        p.put("service.pid", pid);
        p.put("service.factoryPid", factoryPid);
        byPid.put(pid, p);
        return this;
    }

    /** The properties last written to {@code pid}, or null. */
    Hashtable<String, Object> properties(String pid) {
        return byPid.get(pid);
    }

    ConfigurationAdmin admin() {
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ConfigurationAdmin.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "listConfigurations" -> list((String) args[0]);
                    case "getConfiguration" -> configuration((String) args[0]);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private Configuration[] list(String filter) {
        Matcher m = FILTER.matcher(filter);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a filter the commands use: " + filter);
        }
        List<Configuration> found = new ArrayList<>();
        byPid.forEach((pid, p) -> {
            if (m.group(2).equals(p.get(m.group(1)))) {
                found.add(configuration(pid));
            }
        });
        return found.isEmpty() ? null : found.toArray(new Configuration[0]);
    }

    private Configuration configuration(String pid) {
        return (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Configuration.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getPid" -> pid;
                    case "getProperties" -> byPid.containsKey(pid) ? new Hashtable<>(byPid.get(pid)) : null;
                    case "update" -> {
                        @SuppressWarnings("unchecked")
                        Dictionary<String, Object> d = (Dictionary<String, Object>) args[0];
                        Hashtable<String, Object> p = new Hashtable<>();
                        for (var keys = d.keys(); keys.hasMoreElements();) {
                            String k = keys.nextElement();
                            p.put(k, d.get(k));
                        }
                        p.put("service.pid", pid);
                        byPid.put(pid, p);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
