package dev.halibut.queue.redis.internal;

import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.polling.PendingRequestQueueFactory;
import dev.halibut.queue.redis.RedisPendingRequestQueue;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Present while PID {@code dev.halibut.queue.redis} is configured: registers a {@link PendingRequestQueueFactory}
 * that connects a {@link RedisPendingRequestQueue} per runtime built. The registry's runtime component picks it
 * up and rebuilds its runtime on it; each runtime closes its own queue. A changed configuration re-registers
 * the factory, so the runtime is rebuilt on the new settings.
 */
@Component(configurationPid = RedisQueueProperties.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = PendingRequestQueueFactory.class)
@Designate(ocd = RedisQueueConfiguration.class)
public final class RedisQueueComponent implements PendingRequestQueueFactory {

    private static final Logger LOG = LoggerFactory.getLogger(RedisQueueComponent.class);

    private RedisQueueProperties properties;

    @Activate
    void activate(Map<String, Object> config) {
        try {
            properties = RedisQueueProperties.parse(config);
            // Read the TLS files now, so a missing file or wrong password keeps the component off with the key
            // named here, instead of failing each runtime build later.
            RedisTlsContext.load(properties.settings().tls());
        } catch (IllegalArgumentException e) {
            LOG.error("Halibut Redis queue not enabled: {}. Fix etc/{}.cfg", e.getMessage(), RedisQueueProperties.PID);
            throw e;
        }
        LOG.info("Halibut Redis queue configured: {} ({})", RedisStore.redact(properties.uri()), properties.settings());
    }

    @Override
    public PendingRequestQueue open() {
        return RedisPendingRequestQueue.connect(properties.uri(), properties.settings());
    }

    @Override
    public String toString() {
        return "Redis queue factory for " + RedisStore.redact(properties.uri());
    }
}
