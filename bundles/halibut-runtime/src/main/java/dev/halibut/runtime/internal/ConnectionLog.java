package dev.halibut.runtime.internal;

import dev.halibut.runtime.ConnectionLogEntry;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last events of each endpoint, in memory. Bounded three ways: entries per endpoint, endpoints (least
 * recently used dropped first) and message length, so a runtime talking to many endpoints, or a peer
 * producing long error messages, cannot make it grow without bound.
 */
final class ConnectionLog {

    static final int MAX_MESSAGE = 400;

    private final int perEndpoint;
    private final Map<String, Deque<ConnectionLogEntry>> logs;

    ConnectionLog(int perEndpoint, int endpoints) {
        this.perEndpoint = perEndpoint;
        this.logs = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Deque<ConnectionLogEntry>> eldest) {
                return size() > endpoints;
            }
        };
    }

    void add(String endpoint, ConnectionLogEntry.Level level, String message) {
        String m = message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + "...";
        ConnectionLogEntry entry = new ConnectionLogEntry(Instant.now(), level, m);
        synchronized (logs) {
            Deque<ConnectionLogEntry> d = logs.computeIfAbsent(endpoint, k -> new ArrayDeque<>());
            d.addLast(entry);
            while (d.size() > perEndpoint) {
                d.removeFirst();
            }
        }
    }

    List<ConnectionLogEntry> entries(String endpoint) {
        synchronized (logs) {
            Deque<ConnectionLogEntry> d = logs.get(endpoint);
            return d == null ? List.of() : List.copyOf(d);
        }
    }

    /** Most recently used first. */
    List<String> endpoints() {
        synchronized (logs) {
            List<String> keys = new ArrayList<>(logs.keySet());
            java.util.Collections.reverse(keys);
            return keys;
        }
    }
}
