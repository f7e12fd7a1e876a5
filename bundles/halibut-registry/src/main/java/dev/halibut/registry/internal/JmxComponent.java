package dev.halibut.registry.internal;

import dev.halibut.registry.HalibutCallsMXBean;
import dev.halibut.registry.HalibutRuntimeMXBean;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import javax.management.DynamicMBean;
import javax.management.NotCompliantMBeanException;
import javax.management.StandardMBean;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The runtime's MBeans, while a runtime runs: {@value HalibutRuntimeMXBean#OBJECT_NAME} and the two
 * {@code dev.halibut:type=Calls} beans. They are registered as OSGi services with a {@code jmx.objectname}
 * property, Karaf's way: its {@code management} feature includes the Aries JMX whiteboard, which registers
 * such services with the MBean server (the platform one, which Karaf's JMX connector serves under its
 * role-based ACLs) and unregisters them with the service. Each bean is a {@link StandardMBean} in MXBean
 * mode, so JMX clients see only open types. When the runtime is replaced, DS deactivates this (the beans
 * go) and activates it anew for the next one (the counts start again at zero).
 */
@Component(immediate = true, service = {})
public final class JmxComponent {

    static final String OBJECT_NAME_PROPERTY = "jmx.objectname";

    private final HalibutRuntime runtime;
    private final RuntimeMetrics metrics = new RuntimeMetrics();
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    public JmxComponent(BundleContext context, @Reference HalibutRuntime runtime) throws NotCompliantMBeanException {
        this.runtime = runtime;
        runtime.addObserver(metrics);
        register(context, HalibutRuntimeMXBean.class, new RuntimeBean(), HalibutRuntimeMXBean.OBJECT_NAME, null);
        register(context, HalibutCallsMXBean.class, new CallsBean(metrics.outgoing), HalibutCallsMXBean.OUTGOING, "outgoing");
        register(context, HalibutCallsMXBean.class, new CallsBean(metrics.incoming), HalibutCallsMXBean.INCOMING, "incoming");
    }

    private void register(BundleContext context, Class<?> type, DynamicMBean bean, String objectName, String direction) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(OBJECT_NAME_PROPERTY, objectName);
        props.put(RuntimeComponent.THUMBPRINT_PROPERTY, runtime.thumbprint());
        if (direction != null) {
            props.put(HalibutCallsMXBean.DIRECTION_PROPERTY, direction);
        }
        registrations.add(context.registerService(new String[] {type.getName(), DynamicMBean.class.getName()}, bean, props));
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // our bundle is stopping: the framework has unregistered it
            }
        }
        registrations.clear();
        runtime.removeObserver(metrics);
    }

    /** {@link HalibutRuntimeMXBean} from the runtime's status and the metrics. */
    final class RuntimeBean extends StandardMBean implements HalibutRuntimeMXBean {
        RuntimeBean() throws NotCompliantMBeanException {
            super(HalibutRuntimeMXBean.class, true);
        }

        @Override
        public String getThumbprint() {
            return runtime.thumbprint();
        }

        @Override
        public int[] getListenPorts() {
            return runtime.status().listening().stream().mapToInt(InetSocketAddress::getPort).toArray();
        }

        @Override
        public String[] getTrustedThumbprints() {
            return runtime.trustedThumbprints().toArray(new String[0]);
        }

        @Override
        public String[] getServedServices() {
            return runtime.status().services().toArray(new String[0]);
        }

        @Override
        public int getOutboundConnectionsIdle() {
            return runtime.status().outbound().stream().mapToInt(RuntimeStatus.OutboundConnections::idle).sum();
        }

        @Override
        public int getOutboundConnectionsInUse() {
            return runtime.status().outbound().stream().mapToInt(RuntimeStatus.OutboundConnections::inUse).sum();
        }

        @Override
        public int getInboundConnections() {
            return runtime.status().inbound().stream().mapToInt(RuntimeStatus.InboundConnections::open).sum();
        }

        @Override
        public int getPollingSubscriptions() {
            return runtime.status().subscriptions().size();
        }

        @Override
        public int getPollingConnectionsConnected() {
            return runtime.status().subscriptions().stream().mapToInt(RuntimeStatus.Subscription::connected).sum();
        }

        @Override
        public int getPendingRequests() {
            return runtime.status().pending().stream().mapToInt(RuntimeStatus.PendingRequests::count).sum();
        }

        @Override
        public long getOldestPendingRequestAgeMillis() {
            return runtime.status().pending().stream().map(RuntimeStatus.PendingRequests::oldestAge)
                    .max(Duration::compareTo).orElse(Duration.ZERO).toMillis();
        }

        @Override
        public long getConnectionsOpened() {
            return metrics.connectionsOpened.sum();
        }

        @Override
        public long getConnectionsClosed() {
            return metrics.connectionsClosed.sum();
        }

        @Override
        public long getConnectFailures() {
            return metrics.connectFailures.sum();
        }

        @Override
        public long getHandshakesRejected() {
            return metrics.handshakesRejected.sum();
        }

        @Override
        public long getRequestsQueued() {
            return metrics.requestsQueued.sum();
        }

        @Override
        public long getRequestsCollected() {
            return metrics.requestsCollected.sum();
        }

        @Override
        public long getRequestsExpired() {
            return metrics.requestsExpired.sum();
        }
    }

    /** {@link HalibutCallsMXBean} of one direction. */
    static final class CallsBean extends StandardMBean implements HalibutCallsMXBean {
        private final RuntimeMetrics.Calls calls;

        CallsBean(RuntimeMetrics.Calls calls) throws NotCompliantMBeanException {
            super(HalibutCallsMXBean.class, true);
            this.calls = calls;
        }

        @Override
        public long getCalls() {
            return calls.getCalls();
        }

        @Override
        public long getFailures() {
            return calls.getFailures();
        }

        @Override
        public Map<String, Long> getFailuresByKind() {
            return calls.getFailuresByKind();
        }

        @Override
        public double getLatencyMeanMillis() {
            return calls.getLatencyMeanMillis();
        }

        @Override
        public long getLatencyMaxMillis() {
            return calls.getLatencyMaxMillis();
        }

        @Override
        public Map<String, Long> getLatencyHistogram() {
            return calls.getLatencyHistogram();
        }
    }
}
