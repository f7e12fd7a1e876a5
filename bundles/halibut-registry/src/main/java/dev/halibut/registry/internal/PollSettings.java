package dev.halibut.registry.internal;

import dev.halibut.ServiceEndPoint;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * One configuration of factory PID {@value #FACTORY_PID}: this runtime polls a listening caller for
 * the requests it sends to {@code subscription}.
 */
record PollSettings(URI subscription, ServiceEndPoint listener, int connections) {
    static final String FACTORY_PID = "dev.halibut.poll";

    static PollSettings parse(Map<String, ?> properties) {
        ConfigValues c = new ConfigValues(FACTORY_PID + " " + String.valueOf(properties.get("service.pid")), properties);
        String sub = c.requiredString("subscription", "poll://my-subscription/");
        URI subscription = ImportSettings.uri(c, "subscription", sub);
        if (!"poll".equals(String.valueOf(subscription.getScheme()).toLowerCase(Locale.ROOT))
                || subscription.getAuthority() == null) {
            throw c.invalid("subscription", sub, "a subscription is a poll:// URI such as poll://my-subscription/");
        }
        String endpoint = c.requiredString("endpoint", "https://caller.example:8443/");
        URI uri = ImportSettings.uri(c, "endpoint", endpoint);
        if (!"https".equals(String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT))) {
            throw c.invalid("endpoint", endpoint, "the listener to poll is an https:// URI such as https://caller:8443/");
        }
        ServiceEndPoint listener;
        try {
            listener = new ServiceEndPoint(uri, c.requiredString("thumbprint", "the listener's 40-hex-character thumbprint"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.pid() + ": " + e.getMessage(), e);
        }
        return new PollSettings(subscription, listener, c.integer("connections", 1, 1));
    }
}
