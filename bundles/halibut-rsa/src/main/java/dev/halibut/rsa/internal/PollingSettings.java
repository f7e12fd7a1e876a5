package dev.halibut.rsa.internal;

import dev.halibut.ServiceEndPoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The {@code polling.*} keys of PID {@code dev.halibut.rsa}: the listener a node that can only dial out polls, and
 * the subscription its exports are published and collected under (docs/osgi.md, "Polling under discovery").
 *
 * @param subscription the {@code poll://} URI: {@code polling.subscription}, by default
 *                     {@code poll://rsa-<own thumbprint in lower case>/}, unique per certificate and stable across
 *                     restarts
 * @param listener     {@code polling.endpoint} with {@code polling.thumbprint}
 * @param connections  {@code polling.connections}, at least 1
 */
record PollingSettings(URI subscription, ServiceEndPoint listener, int connections) {
    static final String PID = "dev.halibut.rsa";

    /**
     * The polling keys of {@code config}, or null when {@code polling.endpoint} is not set (the node publishes at its
     * listener, if it has one).
     *
     * @param ownThumbprint this runtime's thumbprint, for the default subscription
     * @throws IllegalArgumentException a key is missing or malformed; the message names the key, its value and an
     *                                  example
     */
    static PollingSettings of(ProviderConfiguration config, String ownThumbprint) {
        String endpoint = config.polling_endpoint();
        if (endpoint == null || endpoint.isBlank()) {
            return null;
        }
        URI listenerUri = uri("polling.endpoint", endpoint.trim(), "https://hub.example:8443/");
        if (!"https".equals(String.valueOf(listenerUri.getScheme()).toLowerCase(Locale.ROOT))) {
            throw invalid("polling.endpoint", endpoint, "the listener to poll is an https:// URI such as "
                    + "https://hub.example:8443/");
        }
        String thumbprint = config.polling_thumbprint();
        if (thumbprint == null || thumbprint.isBlank()) {
            throw invalid("polling.thumbprint", String.valueOf(thumbprint), "set it to the thumbprint of the listener at "
                    + endpoint + " (40 hex characters); it is required with polling.endpoint");
        }
        ServiceEndPoint listener;
        try {
            listener = new ServiceEndPoint(listenerUri, thumbprint.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": polling.endpoint / polling.thumbprint: " + e.getMessage(), e);
        }
        String sub = config.polling_subscription();
        URI subscription = sub == null || sub.isBlank()
                ? URI.create("poll://rsa-" + ownThumbprint.toLowerCase(Locale.ROOT) + "/")
                : uri("polling.subscription", sub.trim(), "poll://my-node/");
        if (!"poll".equals(String.valueOf(subscription.getScheme()).toLowerCase(Locale.ROOT))
                || subscription.getAuthority() == null) {
            throw invalid("polling.subscription", sub, "a subscription is a poll:// URI such as poll://my-node/");
        }
        if (config.polling_connections() < 1) {
            throw invalid("polling.connections", String.valueOf(config.polling_connections()), "at least 1");
        }
        return new PollingSettings(subscription, listener, config.polling_connections());
    }

    private static URI uri(String key, String value, String example) {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw invalid(key, value, "not a URI (" + e.getMessage() + "); for example " + example);
        }
    }

    private static IllegalArgumentException invalid(String key, String value, String what) {
        return new IllegalArgumentException("etc/" + PID + ".cfg: " + key + " = '" + value + "' is invalid: " + what);
    }
}
