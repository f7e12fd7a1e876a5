package dev.halibut.queue.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** The names of the queue's Redis keys, all under one prefix. One Redis server (not Redis Cluster). */
public record Keys(String prefix) {

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A request's hash. */
    byte[] request(String id) {
        return b(prefix + "r:" + id);
    }

    /** A request's encoded bytes (kept out of its hash, which then stays compact). */
    byte[] requestBytes(String id) {
        return b(prefix + "m:" + id);
    }

    /** The list of queued request ids of a subscription for one expected thumbprint. */
    byte[] queue(String subscription, String thumbprint) {
        return b(prefix + "q:" + subscription + ":" + thumbprint);
    }

    /** The thumbprints a subscription has queues for (to count them). */
    byte[] thumbprints(String subscription) {
        return b(prefix + "t:" + subscription);
    }

    /** A node's heartbeat: its current generation, expiring after the node timeout. */
    byte[] node(String nodeId) {
        return b(prefix + "n:" + nodeId);
    }

    /** The ids of a node's requests that reached an end, to wake their callers. */
    byte[] inbox(String nodeId) {
        return b(prefix + "i:" + nodeId);
    }

    /** The nodes with asynchronous takers waiting for a queue ({@link #queue}): queueing there wakes them. */
    byte[] waiting(String subscription, String thumbprint) {
        return b(prefix + "w:" + subscription + ":" + thumbprint);
    }

    /** A node's wake-up list for its asynchronous takers: the keys of queues that got a request. */
    byte[] wakeups(String nodeId) {
        return b(prefix + "k:" + nodeId);
    }

    /** A stream's chunks, a hash from chunk number to bytes. */
    byte[] stream(UUID id) {
        return b(prefix + "s:" + id);
    }

    byte[] prefixBytes() {
        return b(prefix);
    }
}
