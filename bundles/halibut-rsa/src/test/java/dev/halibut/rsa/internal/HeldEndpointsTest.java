package dev.halibut.rsa.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.halibut.ServiceEndPoint;
import dev.halibut.registry.distribution.DiscoveredEndpoints;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.osgi.service.remoteserviceadmin.EndpointDescription;
import org.osgi.service.remoteserviceadmin.EndpointEvent;
import org.osgi.service.remoteserviceadmin.EndpointEventListener;

class HeldEndpointsTest {
    private static final String FILTER = "(objectClass=a.Calculator)";
    private static final String EXPORTER = "3F1A9C0D2B4E6F8A1C3E5D7B9F0A2C4E6D8B0F1A";
    /** This framework's runtime. */
    private static final String SELF = "00112233445566778899AABBCCDDEEFF00112233";
    private static final String OTHER_LISTENER = "FFEEDDCCBBAA99887766554433221100FFEEDDCC";

    private final List<String> seen = new ArrayList<>();
    private final EndpointEventListener topologyManager = (event, filter) ->
            seen.add(type(event.getType()) + " " + event.getEndpoint().getId() + " " + filter);
    private final Set<String> trusted = new HashSet<>();
    private final HeldEndpoints held = new HeldEndpoints(topologyManager);

    private static EndpointDescription halibut(String exportId, String thumbprint) {
        return new EndpointDescription(HalibutEndpoints.describe(
                Map.of("endpoint.framework.uuid", "fw-a", "endpoint.service.id", 7L),
                Publication.listening(URI.create("https://node-a:8433/")), thumbprint, exportId, Map.of("a.Calculator", "calculator@" + exportId)));
    }

    /** An export of EXPORTER published as its subscription of the listener with thumbprint {@code polled}. */
    private static EndpointDescription polling(String exportId, String polled) {
        return new EndpointDescription(HalibutEndpoints.describe(
                Map.of("endpoint.framework.uuid", "fw-a", "endpoint.service.id", 7L),
                Publication.polling(URI.create("poll://node-a/"), new ServiceEndPoint(URI.create("https://hub:8443/"), polled)),
                EXPORTER, exportId, Map.of("a.Calculator", "calculator@" + exportId)));
    }

    private HalibutEndpoints.Verdict rule(Map<String, ?> description) {
        return HalibutEndpoints.verdict(description, SELF, trusted::contains);
    }

    private void discovery(int type, EndpointDescription endpoint) {
        held.endpointChanged(new EndpointEvent(type, endpoint), FILTER, this::rule);
    }

    @Test
    void anUntrustedEndpointIsHeldAndListedThenImportedWhenItsThumbprintIsTrusted() {
        EndpointDescription endpoint = halibut("e-1", EXPORTER);

        discovery(EndpointEvent.ADDED, endpoint);

        assertThat(seen).isEmpty();
        assertThat(held.held()).containsExactly(new DiscoveredEndpoints.Untrusted("https://node-a:8433/e-1",
                "https://node-a:8433/", EXPORTER, List.of("a.Calculator")));

        trusted.add(EXPORTER);
        held.recheck(this::rule);

        assertThat(seen).containsExactly("ADDED https://node-a:8433/e-1 " + FILTER);
        assertThat(held.held()).isEmpty();
    }

    @Test
    void aTrustedEndpointPassesAndItsImportGoesWhenTrustIsWithdrawn() {
        trusted.add(EXPORTER);
        EndpointDescription endpoint = halibut("e-1", EXPORTER);

        discovery(EndpointEvent.ADDED, endpoint);
        discovery(EndpointEvent.MODIFIED, endpoint);
        trusted.clear();
        held.recheck(this::rule);

        assertThat(seen).containsExactly("ADDED https://node-a:8433/e-1 " + FILTER,
                "MODIFIED https://node-a:8433/e-1 " + FILTER, "REMOVED https://node-a:8433/e-1 " + FILTER);
        assertThat(held.held()).extracting(DiscoveredEndpoints.Untrusted::thumbprint).containsExactly(EXPORTER);
    }

    @Test
    void aHeldEndpointThatGoesAwayIsForgottenWithoutTellingTheTopologyManager() {
        EndpointDescription endpoint = halibut("e-1", EXPORTER);

        discovery(EndpointEvent.ADDED, endpoint);
        discovery(EndpointEvent.REMOVED, endpoint);
        trusted.add(EXPORTER);
        held.recheck(this::rule);

        assertThat(seen).isEmpty();
        assertThat(held.held()).isEmpty();
    }

    @Test
    void anEndpointNowSignedByAnotherCertificateIsWithdrawnUntilThatOneIsTrusted() {
        trusted.add(EXPORTER);
        discovery(EndpointEvent.ADDED, halibut("e-1", EXPORTER));

        discovery(EndpointEvent.MODIFIED, halibut("e-1", "00112233445566778899AABBCCDDEEFF00112233"));

        assertThat(seen).containsExactly("ADDED https://node-a:8433/e-1 " + FILTER,
                "REMOVED https://node-a:8433/e-1 " + FILTER);
    }

    @Test
    void anEndpointAnnouncedAgainByANewDiscoverySessionIsAModificationNotASecondImport() {
        trusted.add(EXPORTER);
        EndpointDescription endpoint = halibut("e-1", EXPORTER);

        discovery(EndpointEvent.ADDED, endpoint);
        discovery(EndpointEvent.ADDED, endpoint);

        assertThat(seen).containsExactly("ADDED https://node-a:8433/e-1 " + FILTER,
                "MODIFIED https://node-a:8433/e-1 " + FILTER);
    }

    @Test
    void aPollEndpointThatPollsThisListenerIsHeldUntilTrustedThenImported() {
        EndpointDescription endpoint = polling("e-1", SELF);

        discovery(EndpointEvent.ADDED, endpoint);
        assertThat(seen).isEmpty();
        assertThat(held.held()).extracting(DiscoveredEndpoints.Untrusted::endpoint).containsExactly("poll://node-a/");

        trusted.add(EXPORTER);
        held.recheck(this::rule);

        assertThat(seen).containsExactly("ADDED poll://node-a/e-1 " + FILTER);
        assertThat(held.held()).isEmpty();
    }

    @Test
    void aPollEndpointThatPollsAnotherListenerIsNeitherImportedNorListedEvenWhenItsExporterIsTrusted() {
        trusted.add(EXPORTER);

        discovery(EndpointEvent.ADDED, polling("e-1", OTHER_LISTENER));
        held.recheck(this::rule);

        assertThat(seen).isEmpty();
        assertThat(held.held()).isEmpty();

        discovery(EndpointEvent.REMOVED, polling("e-1", OTHER_LISTENER));
        assertThat(seen).isEmpty();
    }

    @Test
    void endpointsOfOtherDistributionProvidersPassUnchanged() {
        EndpointDescription tcp = new EndpointDescription(Map.of("endpoint.id", "tcp://node-a:8201/x",
                "objectClass", new String[] {"a.Calculator"}, "service.imported.configs", "aries.tcp"));

        discovery(EndpointEvent.ADDED, tcp);

        assertThat(seen).containsExactly("ADDED tcp://node-a:8201/x " + FILTER);
    }

    private static String type(int t) {
        return switch (t) {
            case EndpointEvent.ADDED -> "ADDED";
            case EndpointEvent.REMOVED -> "REMOVED";
            case EndpointEvent.MODIFIED -> "MODIFIED";
            default -> "MODIFIED_ENDMATCH";
        };
    }
}
