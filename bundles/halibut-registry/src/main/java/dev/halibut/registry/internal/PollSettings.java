package dev.halibut.registry.internal;

import static dev.halibut.registry.config.HalibutConfig.CONNECTIONS;
import static dev.halibut.registry.config.HalibutConfig.ENDPOINT;
import static dev.halibut.registry.config.HalibutConfig.POLL_FACTORY_PID;
import static dev.halibut.registry.config.HalibutConfig.SUBSCRIPTION;
import static dev.halibut.registry.config.HalibutConfig.THUMBPRINT;

import dev.halibut.ServiceEndPoint;
import dev.halibut.registry.config.ConfigValues;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * One configuration of factory PID {@code dev.halibut.poll}: this runtime polls a listening caller for
 * the requests it sends to {@code subscription}.
 */
record PollSettings(URI subscription, ServiceEndPoint listener, int connections) {

    static PollSettings parse(Map<String, ?> properties) {
        ConfigValues c = new ConfigValues(POLL_FACTORY_PID + " " + String.valueOf(properties.get("service.pid")), properties);
        String sub = c.requiredString(SUBSCRIPTION, "poll://my-subscription/");
        URI subscription = ImportSettings.uri(c, SUBSCRIPTION, sub);
        if (!"poll".equals(String.valueOf(subscription.getScheme()).toLowerCase(Locale.ROOT))
                || subscription.getAuthority() == null) {
            throw c.invalid(SUBSCRIPTION, sub, "a subscription is a poll:// URI such as poll://my-subscription/");
        }
        String endpoint = c.requiredString(ENDPOINT, "https://caller.example:8443/");
        URI uri = ImportSettings.uri(c, ENDPOINT, endpoint);
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
        if (!"https".equals(scheme) && !"wss".equals(scheme)) {
            throw c.invalid(ENDPOINT, endpoint, "the listener to poll is an https:// URI such as https://caller:8443/,"
                    + " or a wss:// URI such as wss://caller:443/halibut to poll over a WebSocket");
        }
        ServiceEndPoint listener;
        try {
            // The subscription's own proxy.* keys win over the runtime's (null: the runtime's).
            listener = new ServiceEndPoint(uri, c.requiredString(THUMBPRINT, "the listener's 40-hex-character thumbprint"))
                    .withProxy(ProxySettings.parse(c));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.pid() + ": " + e.getMessage(), e);
        }
        return new PollSettings(subscription, listener, c.integer(CONNECTIONS, 1, 1));
    }
}
