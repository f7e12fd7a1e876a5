package dev.halibut.queue.redis.internal;

import dev.halibut.queue.redis.RedisQueueSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What one node's calls and collected requests share: Redis, the key names, the heartbeat, the inbox. */
public final class Node {

    final RedisStore store;
    final Keys keys;
    final RedisQueueSettings settings;
    final NodeHeartbeat heartbeat;
    final Inbox inbox;
    final RedisStreams streams;
    volatile boolean closed;

    public Node(RedisStore store, RedisQueueSettings settings) {
        this.store = store;
        this.settings = settings;
        this.keys = new Keys(settings.keyPrefix());
        this.heartbeat = new NodeHeartbeat(store, keys, settings.heartbeatInterval(), settings.nodeTimeout());
        this.inbox = new Inbox(store, keys, heartbeat.nodeId());
        this.streams = new RedisStreams(store, keys, settings.streamChunkSize(), settings.maxStreamBytes());
    }

    public String nodeId() {
        return heartbeat.nodeId();
    }

    /** Runs a script on a request: KEYS[1] = its hash plus {@code moreKeys}; ARGV = prefix, id, inbox ttl, {@code args}. */
    Object script(String what, Script script, String id, List<byte[]> moreKeys, Object... args)
            throws RedisUnavailableException {
        List<byte[]> keyList = new ArrayList<>(1 + moreKeys.size());
        keyList.add(keys.request(id));
        keyList.addAll(moreKeys);
        List<byte[]> argList = new ArrayList<>(3 + args.length);
        argList.add(keys.prefixBytes());
        argList.add(Keys.b(id));
        argList.add(Keys.b(Long.toString(settings.nodeTimeout().toMillis() * 2)));
        for (Object a : args) {
            argList.add(a instanceof byte[] bytes ? bytes : Keys.b(String.valueOf(a)));
        }
        return store.script(what, script, keyList, argList);
    }

    /**
     * Runs a script about a queue rather than one request ({@link Script#TAKE_NEXT}, {@link Script#SWEEP_WAITING}):
     * KEYS[1] is a placeholder followed by {@code moreKeys}, and the request id is empty.
     */
    Object queueScript(String what, Script script, List<byte[]> moreKeys, Object... args) throws RedisUnavailableException {
        return script(what, script, "", moreKeys, args);
    }

    static List<byte[]> keys(byte[]... keys) {
        return Arrays.asList(keys);
    }

    /** How long a request's hash lives without its caller looking at it: then the caller is gone. */
    long keepMs() {
        return settings.nodeTimeout().toMillis() * 2 + settings.heartbeatInterval().toMillis();
    }
}
