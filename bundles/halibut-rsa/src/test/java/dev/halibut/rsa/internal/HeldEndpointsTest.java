package dev.halibut.rsa.internal;

import static org.assertj.core.api.Assertions.assertThat;

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

    private final List<String> seen = new ArrayList<>();
    private final EndpointEventListener topologyManager = (event, filter) ->
            seen.add(type(event.getType()) + " " + event.getEndpoint().getId() + " " + filter);
    private final Set<String> trusted = new HashSet<>();
    private final HeldEndpoints held = new HeldEndpoints(topologyManager);

    private static EndpointDescription halibut(String exportId, String thumbprint) {
        return new EndpointDescription(HalibutEndpoints.describe(
                Map.of("endpoint.framework.uuid", "fw-a", "endpoint.service.id", 7L),
                URI.create("https://node-a:8433/"), thumbprint, exportId, Map.of("a.Calculator", "calculator@" + exportId)));
    }

    private void discovery(int type, EndpointDescription endpoint) {
        held.endpointChanged(new EndpointEvent(type, endpoint), FILTER, trusted::contains);
    }

    @Test
    void anUntrustedEndpointIsHeldAndListedThenImportedWhenItsThumbprintIsTrusted() {
        EndpointDescription endpoint = halibut("e-1", EXPORTER);

        discovery(EndpointEvent.ADDED, endpoint);

        assertThat(seen).isEmpty();
        assertThat(held.held()).containsExactly(new DiscoveredEndpoints.Untrusted("https://node-a:8433/e-1",
                "https://node-a:8433/", EXPORTER, List.of("a.Calculator")));

        trusted.add(EXPORTER);
        held.recheck(trusted::contains);

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
        held.recheck(trusted::contains);

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
        held.recheck(trusted::contains);

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
