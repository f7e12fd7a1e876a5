package dev.halibut.queue.redis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The streams of a message as stored with it in Redis: {@code id:length} pairs separated by {@code ;}.
 * Parsing is bounded: a hash edited by hand or by a foreign writer cannot make a node allocate much.
 */
record StreamDescriptors(List<Entry> entries) {

    static final int MAX_STREAMS = 10_000;

    record Entry(UUID id, long length) {
    }

    static final StreamDescriptors NONE = new StreamDescriptors(List.of());

    long totalLength() {
        return entries.stream().mapToLong(Entry::length).sum();
    }

    String encode() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            if (sb.length() > 0) {
                sb.append(';');
            }
            sb.append(e.id()).append(':').append(e.length());
        }
        return sb.toString();
    }

    static StreamDescriptors parse(String text) {
        if (text == null || text.isEmpty()) {
            return NONE;
        }
        String[] parts = text.split(";", MAX_STREAMS + 1);
        if (parts.length > MAX_STREAMS) {
            throw new IllegalArgumentException("more than " + MAX_STREAMS + " streams in one message");
        }
        List<Entry> out = new ArrayList<>(parts.length);
        for (String p : parts) {
            int colon = p.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("malformed stream descriptor '" + p + "'");
            }
            long length = Long.parseLong(p.substring(colon + 1));
            if (length < 0) {
                throw new IllegalArgumentException("negative stream length in '" + p + "'");
            }
            out.add(new Entry(UUID.fromString(p.substring(0, colon)), length));
        }
        return new StreamDescriptors(List.copyOf(out));
    }
}
