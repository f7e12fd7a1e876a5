package dev.halibut.registry.internal;

import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.PollingSubscription;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One polling subscription (one configuration of factory PID {@code dev.halibut.poll}): while active,
 * the runtime keeps polling the listener and serves its exported services to what it collects.
 */
@Component(configurationPid = HalibutConfig.POLL_FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = PollConfiguration.class, factory = true)
public final class PollComponent {
    private static final Logger LOG = LoggerFactory.getLogger(PollComponent.class);

    private final PollSettings settings;
    private final PollingSubscription subscription;

    @Activate
    public PollComponent(@Reference HalibutRuntime runtime, Map<String, Object> properties) {
        this.settings = Configurations.parse(LOG, () -> PollSettings.parse(properties));
        this.subscription = runtime.poll(settings.subscription(), settings.listener(), settings.connections());
        LOG.info("Polling {} for {} with {} connection(s)", settings.listener().baseUri(), settings.subscription(),
                settings.connections());
    }

    @Deactivate
    void deactivate() {
        subscription.close();
        LOG.info("Stopped polling {} for {}", settings.listener().baseUri(), settings.subscription());
    }
}
