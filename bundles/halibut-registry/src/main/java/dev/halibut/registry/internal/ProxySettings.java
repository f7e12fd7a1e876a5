package dev.halibut.registry.internal;

import static dev.halibut.registry.config.HalibutConfig.PROXY_HOST;
import static dev.halibut.registry.config.HalibutConfig.PROXY_HOST_NONE;
import static dev.halibut.registry.config.HalibutConfig.PROXY_NO_PROXY;
import static dev.halibut.registry.config.HalibutConfig.PROXY_PASSWORD;
import static dev.halibut.registry.config.HalibutConfig.PROXY_PORT;
import static dev.halibut.registry.config.HalibutConfig.PROXY_USERNAME;

import dev.halibut.HttpProxy;
import dev.halibut.registry.config.ConfigValues;

/**
 * The {@code proxy.*} keys of {@code dev.halibut.runtime} and {@code dev.halibut.poll}: the HTTP proxy outgoing
 * connections go through.
 */
final class ProxySettings {
    private ProxySettings() {
    }

    /**
     * The configured proxy: {@code null} when {@code proxy.host} is absent (and no other {@code proxy.*} key is set),
     * {@link HttpProxy#DIRECT} for {@code proxy.host = none}.
     *
     * @throws IllegalArgumentException a value is missing or invalid; the message names the PID and the key
     */
    static HttpProxy parse(ConfigValues c) {
        String host = c.string(PROXY_HOST);
        if (host == null) {
            for (String key : new String[] {PROXY_PORT, PROXY_USERNAME, PROXY_PASSWORD, PROXY_NO_PROXY}) {
                if (c.string(key) != null) {
                    throw c.invalid(key, key.equals(PROXY_PASSWORD) ? "(hidden)" : c.string(key),
                            PROXY_HOST + " is not set; set it (and " + PROXY_PORT + ") to use an HTTP proxy");
                }
            }
            return null;
        }
        if (host.equalsIgnoreCase(PROXY_HOST_NONE)) {
            return HttpProxy.DIRECT;
        }
        if (c.string(PROXY_PORT) == null) {
            throw new IllegalArgumentException(c.pid() + ": '" + PROXY_PORT + "' is required with " + PROXY_HOST
                    + " (e.g. " + PROXY_PORT + " = 3128)");
        }
        int port = c.integer(PROXY_PORT, 0, 1);
        if (port > 65535) {
            throw c.invalid(PROXY_PORT, port, "a port is at most 65535");
        }
        String username = c.string(PROXY_USERNAME);
        String password = c.string(PROXY_PASSWORD);
        if (username == null && password != null) {
            throw c.invalid(PROXY_PASSWORD, "(hidden)", PROXY_USERNAME + " is not set");
        }
        try {
            return new HttpProxy(host, port, username, password, c.strings(PROXY_NO_PROXY));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.pid() + ": " + e.getMessage(), e);
        }
    }
}
