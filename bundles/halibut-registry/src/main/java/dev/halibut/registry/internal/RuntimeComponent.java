package dev.halibut.registry.internal;

import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.polling.PendingRequestQueueFactory;
import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns this framework's {@link HalibutRuntime}, built from PID {@code dev.halibut.runtime}, and
 * registers it as a service. The registration is done here rather than by DS so that a trust change
 * can be applied to the running runtime while any other change swaps in a new one: dependants
 * (exports, imports, polling) then follow the service away and back.
 */
// Declared for resolvers (Karaf's feature resolver checks osgi.service requirements), because this
// service is registered by hand, not by DS.
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"dev.halibut.runtime.HalibutRuntime\"",
        uses = HalibutRuntime.class)
@Component(configurationPid = HalibutConfig.RUNTIME_PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true, service = {})
@Designate(ocd = RuntimeConfiguration.class)
public final class RuntimeComponent {
    static final String THUMBPRINT_PROPERTY = HalibutConfig.THUMBPRINT_PROPERTY;
    static final String LISTEN_PORTS_PROPERTY = HalibutConfig.LISTEN_PORTS_PROPERTY;
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeComponent.class);

    private BundleContext context;
    private RuntimeSettings settings;
    private HalibutRuntime runtime;
    private ServiceRegistration<HalibutRuntime> registration;
    /** A shared pending-request queue (e.g. PID dev.halibut.queue.redis); none = the in-memory queue. */
    private PendingRequestQueueFactory queueFactory;

    @Activate
    void activate(BundleContext context, Map<String, Object> properties) {
        this.context = context;
        apply(properties);
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        apply(properties);
    }

    /** A queue factory came (or a better-ranked one replaced it): the runtime is rebuilt on it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    synchronized void setQueueFactory(PendingRequestQueueFactory factory) {
        queueFactory = factory;
        restartIfRunning();
    }

    synchronized void unsetQueueFactory(PendingRequestQueueFactory factory) {
        if (queueFactory == factory) {
            queueFactory = null;
            restartIfRunning();
        }
    }

    private void restartIfRunning() {
        if (context != null && settings != null) {
            stop();
            start(settings);
        }
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
        settings = null;
    }

    private synchronized void apply(Map<String, Object> properties) {
        RuntimeSettings next;
        try {
            next = RuntimeSettings.parse(properties);
        } catch (IllegalArgumentException e) {
            LOG.error("Halibut runtime not started: {}. Fix the configuration (etc/{}.cfg)", e.getMessage(),
                    HalibutConfig.RUNTIME_PID);
            stop();
            settings = null;
            return;
        }
        if (runtime != null && settings != null && settings.sameExceptTrust(next)) {
            updateTrust(next.trusted());
            settings = next;
            return;
        }
        stop();
        settings = next;
        start(next);
    }

    private void updateTrust(Set<String> wanted) {
        Set<String> current = new HashSet<>(runtime.trustedThumbprints());
        for (String t : current) {
            if (!wanted.contains(t)) {
                runtime.removeTrust(t);
            }
        }
        for (String t : wanted) {
            if (!current.contains(t)) {
                runtime.trust(t);
            }
        }
        LOG.info("Halibut runtime {} now trusts {} thumbprint(s)", runtime.thumbprint(), wanted.size());
    }

    private void start(RuntimeSettings s) {
        HalibutRuntime built = null;
        try {
            CertificateAndKey identity = s.keystorePath() != null
                    ? Certificates.loadPkcs12(s.keystorePath(), keystorePassword(s))
                    : GeneratedIdentity.loadOrCreate(generatedIdentityDirectory());
            HalibutRuntime.Builder builder = HalibutRuntime.builder()
                    .certificate(identity.certificate(), identity.privateKey())
                    .timeouts(s.limits())
                    .proxy(s.proxy())
                    .tlsProvider(s.tlsProvider());
            for (String t : s.trusted()) {
                builder.trust(t);
            }
            PendingRequestQueue queue = queueFactory != null ? queueFactory.open() : null;
            if (queue != null) {
                builder.pendingRequestQueue(queue); // the runtime owns it from here
                LOG.info("Halibut runtime uses the pending-request queue {}", queue);
            }
            try {
                built = builder.build();
            } catch (RuntimeException e) {
                if (queue != null) {
                    queue.close();
                }
                throw e;
            }
            List<Integer> bound = new ArrayList<>();
            for (int port : s.ports()) {
                bound.add(s.listenAddress() == null ? built.listen(port)
                        : built.listen(new InetSocketAddress(s.listenAddress(), port)));
            }
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(THUMBPRINT_PROPERTY, built.thumbprint());
            props.put(LISTEN_PORTS_PROPERTY, bound.toArray(new Integer[0]));
            runtime = built;
            LOG.info("Halibut runtime started: thumbprint {}, listening on {}{}, trusting {} thumbprint(s), TLS provider {}",
                    built.thumbprint(), bound, s.listenAddress() == null ? "" : " at " + s.listenAddress(),
                    s.trusted().size(), s.tlsProvider());
            registration = context.registerService(HalibutRuntime.class, built, props);
        } catch (RuntimeException e) {
            LOG.error("Halibut runtime not started ({}): {}. Fix etc/{}.cfg; the runtime starts when it is saved",
                    s, e.getMessage(), HalibutConfig.RUNTIME_PID, e);
            runtime = null;
            if (built != null) {
                built.close();
            }
        }
    }

    private void stop() {
        // Close first, then unregister: the swap is then bounded by HalibutRuntime.CLOSE_TIMEOUT, because the
        // runtime stops all its subscriptions and service calls at once. Unregistering first would let each
        // dependant close its own subscription in turn, each with busy calls taking up to that bound. What the
        // dependants do on the way out (close a subscription, withdraw an export, drop an observer) is a no-op
        // on a closed runtime.
        if (runtime != null) {
            String thumbprint = runtime.thumbprint();
            runtime.close();
            runtime = null;
            LOG.info("Halibut runtime {} stopped", thumbprint);
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // The framework unregisters a stopping bundle's services itself.
            }
            registration = null;
        }
    }

    /**
     * The configured password; without one, the content of {@code <keystore.path>.password} when that file
     * exists (the layout of the generated identity, and of one made by {@code halibut:certificate --generate}),
     * else empty.
     */
    static char[] keystorePassword(RuntimeSettings s) {
        if (s.keystorePassword() != null) {
            return s.keystorePassword();
        }
        Path passwordFile = HalibutConfig.passwordFile(s.keystorePath());
        return java.nio.file.Files.isRegularFile(passwordFile) ? GeneratedIdentity.readPassword(passwordFile) : new char[0];
    }

    private Path generatedIdentityDirectory() {
        Path inKaraf = HalibutConfig.generatedKeystoreDirectory();
        if (inKaraf != null) {
            return inKaraf;
        }
        File data = context.getDataFile("halibut");
        if (data == null) {
            throw new IllegalStateException("No keystore.path is configured and this framework has no file system "
                    + "support for a generated one; set keystore.path and keystore.password");
        }
        return data.toPath();
    }
}
