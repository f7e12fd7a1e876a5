package dev.halibut.registry.internal;

import dev.halibut.runtime.ExportDescription;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which of the exports an endpoint describes one import configuration takes: those serving all its
 * {@code interfaces} (when given), then the one with its {@code endpoint.id}, or matching its {@code filter}.
 * Exactly one must remain; with several the import is ambiguous and takes none, naming the candidates. Pure,
 * so the rule is unit-tested without a framework.
 */
final class ExportSelection {

    /**
     * The outcome.
     *
     * @param chosen  the export to import, or null
     * @param problem why none was chosen (worded for the operator), or null
     */
    record Choice(ExportDescription chosen, String problem) {
    }

    private ExportSelection() {
    }

    static Choice select(List<ExportDescription> exports, ImportSettings settings) {
        List<ExportDescription> candidates = exports.stream()
                .filter(e -> e.interfaces().containsAll(settings.interfaces()))
                .filter(e -> settings.endpointId() == null || settings.endpointId().equals(e.endpointId()))
                .filter(e -> settings.filter() == null || settings.filter().matches(e.properties()))
                .toList();
        String wanted = wanted(settings);
        if (candidates.size() == 1) {
            return new Choice(candidates.get(0), null);
        }
        if (candidates.isEmpty()) {
            return new Choice(null, "no export of " + settings.endpoint().baseUri() + " matches " + wanted
                    + "; it exports " + (exports.isEmpty() ? "nothing" : summary(exports))
                    + ". Waiting for one to appear");
        }
        return new Choice(null, candidates.size() + " exports of " + settings.endpoint().baseUri() + " match " + wanted
                + ", so the import is ambiguous: " + summary(candidates)
                + ". Add '" + ImportSettings.ENDPOINT_ID + "' or a '" + ImportSettings.FILTER
                + "' on their properties to the configuration to choose one");
    }

    private static String wanted(ImportSettings s) {
        StringBuilder b = new StringBuilder();
        b.append(s.interfaces().isEmpty() ? "any interface" : "interfaces " + s.interfaces());
        if (s.endpointId() != null) {
            b.append(", endpoint.id ").append(s.endpointId());
        }
        if (s.filter() != null) {
            b.append(", filter ").append(s.filter());
        }
        return b.toString();
    }

    /** Each export as {@code endpoint.id=... [interfaces] {properties}}, for log lines. */
    static String summary(List<ExportDescription> exports) {
        return exports.stream().map(e -> "endpoint.id=" + e.endpointId() + " " + e.interfaces() + " "
                + properties(e.properties())).collect(Collectors.joining("; "));
    }

    private static String properties(Map<String, Object> properties) {
        return properties.entrySet().stream()
                .filter(p -> !p.getKey().startsWith("endpoint.") && !p.getKey().equals("objectClass"))
                .sorted(Map.Entry.comparingByKey())
                .map(p -> p.getKey() + "=" + (p.getValue() instanceof Object[] a ? List.of(a).toString()
                        : String.valueOf(p.getValue())))
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
