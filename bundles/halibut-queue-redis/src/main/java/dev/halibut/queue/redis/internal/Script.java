package dev.halibut.queue.redis.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that change a request's state. Each runs atomically in Redis, so every rule of the queue
 * (taken at most once, never handed out after its collection deadline, cancellation against taking) is one
 * script deciding on the request's hash. Time is Redis's own clock ({@code TIME}), so the nodes' clocks do
 * not matter.
 *
 * <p>Every script gets {@code KEYS[1]} = the request's hash and {@code ARGV[1..3]} = key prefix, request id,
 * inbox (and wake-up list) lifetime in ms; its own arguments follow from {@code ARGV[4]}. The two scripts of the
 * asynchronous takers, {@link #TAKE_NEXT} and {@link #SWEEP_WAITING}, are about a queue rather than one request:
 * for them {@code KEYS[1]} is unused and the request id is empty. A request's hash holds: {@code sub},
 * {@code tp} (expected thumbprint), {@code node} and {@code gen} (the caller's node and heartbeat
 * generation), {@code collectBy} (ms), {@code state} (QUEUED, TAKEN, SENT, DONE), {@code rs} (the request's
 * stream descriptors; the request's bytes are in a key of their own), {@code collector}, {@code cgen}, {@code takenAt},
 * {@code sentAt}, and once DONE {@code outcome}, {@code msg}, {@code resp}, {@code ps}.
 */
enum Script {

    /**
     * KEYS: r, queue, caller's heartbeat, subscription's thumbprint set, request bytes. ARGV: sub, tp, node, gen,
     * collectMs, ttlMs, req, rs. The request bytes have a key of their own so the hash keeps only short values
     * (Redis then stores it compactly, as a listpack).
     */
    ENQUEUE("""
            if redis.call('EXISTS', KEYS[1]) == 1 then return 'DUPLICATE' end
            if redis.call('GET', KEYS[3]) ~= ARGV[7] then return 'NODE' end
            local now = now_ms()
            redis.call('HSET', KEYS[1], 'sub', ARGV[4], 'tp', ARGV[5], 'node', ARGV[6], 'gen', ARGV[7],
                'collectBy', now + tonumber(ARGV[8]), 'state', 'QUEUED', 'rs', ARGV[11])
            local ttl = tonumber(ARGV[9])
            redis.call('PEXPIRE', KEYS[1], ttl)
            redis.call('SET', KEYS[5], ARGV[10], 'PX', ttl)
            redis.call('RPUSH', KEYS[2], ARGV[2])
            if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
            redis.call('SADD', KEYS[4], ARGV[5])
            if redis.call('PTTL', KEYS[4]) < ttl then redis.call('PEXPIRE', KEYS[4], ttl) end
            wake_takers(KEYS[2])
            return 'OK'
            """),

    /**
     * A taker popped the id: take it if it is still queued, within its collection deadline, for this
     * thumbprint, and its caller's node is alive (same heartbeat generation). The taker's own heartbeat must be
     * current too (else the id goes back to the head of the queue and the taker re-announces itself first).
     * KEYS: r, queue. ARGV: tp, collector, cgen.
     */
    CLAIM("""
            if redis.call('GET', ARGV[1] .. 'n:' .. ARGV[5]) ~= ARGV[6] then
                redis.call('LPUSH', KEYS[2], ARGV[2])
                wake_takers(KEYS[2])
                return {'NODE'}
            end
            local h = redis.call('HMGET', KEYS[1], 'state', 'collectBy', 'tp', 'node', 'gen')
            if not h[1] then return {'GONE'} end
            if h[1] ~= 'QUEUED' or h[3] ~= ARGV[4] then return {'SKIP'} end
            local now = now_ms()
            if now >= tonumber(h[2]) then finish('NOT_COLLECTED', '') return {'SKIP'} end
            if redis.call('GET', ARGV[1] .. 'n:' .. h[4]) ~= h[5] then finish('WITHDRAWN', '') return {'SKIP'} end
            local req = redis.call('GET', ARGV[1] .. 'm:' .. ARGV[2])
            if not req then finish('LOST', '') return {'SKIP'} end
            redis.call('HSET', KEYS[1], 'state', 'TAKEN', 'collector', ARGV[5], 'cgen', ARGV[6], 'takenAt', now)
            return {'OK', req, redis.call('HGET', KEYS[1], 'rs') or ''}
            """),

    /** The taker is about to write it: from now on it may run. ARGV: collector. */
    SENDING("""
            local h = redis.call('HMGET', KEYS[1], 'state', 'collector', 'node', 'gen')
            if h[1] ~= 'TAKEN' or h[2] ~= ARGV[4] then return 0 end
            if redis.call('GET', ARGV[1] .. 'n:' .. h[3]) ~= h[4] then finish('WITHDRAWN', '') return 0 end
            redis.call('HSET', KEYS[1], 'state', 'SENT', 'sentAt', now_ms())
            return 1
            """),

    /** ARGV: collector, response, response stream descriptors. */
    COMPLETE("""
            local h = redis.call('HMGET', KEYS[1], 'state', 'collector')
            if h[1] ~= 'SENT' or h[2] ~= ARGV[4] then return 0 end
            redis.call('HSET', KEYS[1], 'resp', ARGV[5], 'ps', ARGV[6])
            finish('OK', '')
            return 1
            """),

    /** ARGV: collector, outcome, message. */
    FAIL("""
            local h = redis.call('HMGET', KEYS[1], 'state', 'collector')
            if (h[1] ~= 'SENT' and h[1] ~= 'TAKEN') or h[2] ~= ARGV[4] then return 0 end
            finish(ARGV[5], ARGV[6])
            return 1
            """),

    /**
     * KEYS: r, queue. ARGV: collector, unread ('1': a SENT request the service host provably never read may come
     * back too). Back to the head of the queue, unless its collection deadline passed.
     */
    PUT_BACK("""
            local h = redis.call('HMGET', KEYS[1], 'state', 'collector', 'collectBy')
            if not (h[1] == 'TAKEN' or (h[1] == 'SENT' and ARGV[5] == '1')) or h[2] ~= ARGV[4] then return 0 end
            if now_ms() >= tonumber(h[3]) then finish('NOT_COLLECTED', '') return 0 end
            redis.call('HSET', KEYS[1], 'state', 'QUEUED')
            redis.call('HDEL', KEYS[1], 'collector', 'cgen', 'takenAt', 'sentAt')
            redis.call('LPUSH', KEYS[2], ARGV[2])
            wake_takers(KEYS[2])
            return 1
            """),

    /**
     * An asynchronous taker's look at its queue: registers the taker's node as waiting for the queue (so that
     * every script that queues a request there wakes it), then pops ids and takes the first one that is still
     * queued, within its collection deadline, for this thumbprint, and whose caller's node is alive. Registering,
     * popping and taking are one atomic step: no request is pushed between the look and the registration unseen,
     * and a popped id is never lost between the pop and the take (as it could be after a blocking pop).
     * KEYS: unused, queue, the queue's set of waiting nodes. ARGV: tp, collector, cgen, registration ttl ms, most ids
     * to pop. Returns {OK, id, req, rs}, {EMPTY}, {MORE} (popped the most, none taken) or {NODE} (the collector's
     * own heartbeat is not current: nothing was popped).
     */
    TAKE_NEXT("""
            redis.call('SADD', KEYS[3], ARGV[5])
            if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[7]) then redis.call('PEXPIRE', KEYS[3], ARGV[7]) end
            if redis.call('GET', ARGV[1] .. 'n:' .. ARGV[5]) ~= ARGV[6] then return {'NODE'} end
            local now = now_ms()
            for i = 1, tonumber(ARGV[8]) do
                local id = redis.call('LPOP', KEYS[2])
                if not id then return {'EMPTY'} end
                local r = ARGV[1] .. 'r:' .. id
                local h = redis.call('HMGET', r, 'state', 'collectBy', 'tp', 'node', 'gen')
                if h[1] == 'QUEUED' and h[3] == ARGV[4] then
                    if now >= tonumber(h[2]) then
                        finish_request(r, id, 'NOT_COLLECTED', '')
                    elseif redis.call('GET', ARGV[1] .. 'n:' .. h[4]) ~= h[5] then
                        finish_request(r, id, 'WITHDRAWN', '')
                    else
                        local req = redis.call('GET', ARGV[1] .. 'm:' .. id)
                        if not req then
                            finish_request(r, id, 'LOST', '')
                        else
                            redis.call('HSET', r, 'state', 'TAKEN', 'collector', ARGV[5], 'cgen', ARGV[6], 'takenAt', now)
                            return {'OK', id, req, redis.call('HGET', r, 'rs') or ''}
                        end
                    end
                end
            end
            return {'MORE'}
            """),

    /**
     * A node's periodic care of its registrations as a waiting taker. ARGV: node, registration ttl ms, then
     * triples (waiting set, queue, '1' to stay registered or '0' to leave). Returns, per triple, 1 if the node stays
     * registered and the queue holds ids (so a wake-up may have been lost: its takers look now), else 0.
     */
    SWEEP_WAITING("""
            local out = {}
            for i = 6, #ARGV, 3 do
                if ARGV[i + 2] == '1' then
                    redis.call('SADD', ARGV[i], ARGV[4])
                    if redis.call('PTTL', ARGV[i]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', ARGV[i], ARGV[5]) end
                    out[#out + 1] = redis.call('LLEN', ARGV[i + 1]) > 0 and 1 or 0
                else
                    redis.call('SREM', ARGV[i], ARGV[4])
                    out[#out + 1] = 0
                end
            end
            return out
            """),

    /** KEYS: r, queue. 1 if the request is withdrawn (or gone) and will never run. */
    CANCEL("""
            local h = redis.call('HMGET', KEYS[1], 'state', 'outcome')
            if not h[1] then return 1 end
            if h[1] == 'QUEUED' then
                redis.call('LREM', KEYS[2], 0, ARGV[2])
                redis.call('HSET', KEYS[1], 'state', 'DONE', 'outcome', 'CANCELLED')
                return 1
            end
            if h[1] == 'DONE' and h[2] == 'CANCELLED' then return 1 end
            return 0
            """),

    /**
     * The caller's look at its request (on a wake-up, and at least every heartbeat interval): applies the deadlines (collection, response, a taker that
     * neither sends nor dies, a taker whose node stopped heartbeating), keeps the hash alive, and returns
     * {state, ms to the collection deadline} or {DONE, outcome, msg, resp, ps} (deleting the request) or {GONE}.
     * KEYS: r, queue. ARGV: responseTimeoutMs, keepMs, nodeTimeoutMs.
     */
    CHECK("""
            local h = redis.call('HMGET', KEYS[1], 'state', 'collectBy', 'node', 'gen', 'collector', 'cgen', 'takenAt', 'sentAt')
            if not h[1] then return {'GONE'} end
            local now = now_ms()
            if h[1] == 'TAKEN' and now >= tonumber(h[7]) + tonumber(ARGV[6]) then
                -- taken but neither sent nor put back within the node timeout: it never ran, so it may queue again
                if now >= tonumber(h[2]) then
                    finish('NOT_COLLECTED', '')
                else
                    redis.call('HSET', KEYS[1], 'state', 'QUEUED')
                    redis.call('HDEL', KEYS[1], 'collector', 'cgen', 'takenAt')
                    redis.call('LPUSH', KEYS[2], ARGV[2])
                    wake_takers(KEYS[2])
                    h[1] = 'QUEUED'
                end
            end
            if h[1] == 'QUEUED' then
                if now >= tonumber(h[2]) then
                    redis.call('LREM', KEYS[2], 0, ARGV[2])
                    finish('NOT_COLLECTED', '')
                elseif redis.call('GET', ARGV[1] .. 'n:' .. h[3]) ~= h[4] then
                    redis.call('LREM', KEYS[2], 0, ARGV[2])
                    finish('WITHDRAWN', '')
                else
                    redis.call('PEXPIRE', KEYS[1], ARGV[5])
                    redis.call('PEXPIRE', ARGV[1] .. 'm:' .. ARGV[2], ARGV[5])
                    return {'QUEUED', tostring(tonumber(h[2]) - now)}
                end
            elseif h[1] == 'TAKEN' or h[1] == 'SENT' then
                if redis.call('GET', ARGV[1] .. 'n:' .. h[5]) ~= h[6] then
                    finish('COLLECTOR_LOST', h[5])
                elseif h[1] == 'SENT' and now >= tonumber(h[8]) + tonumber(ARGV[4]) then
                    finish('NO_RESPONSE', '')
                else
                    redis.call('PEXPIRE', KEYS[1], ARGV[5])
                    redis.call('PEXPIRE', ARGV[1] .. 'm:' .. ARGV[2], ARGV[5])
                    return {h[1], '0'}
                end
            end
            local d = redis.call('HMGET', KEYS[1], 'outcome', 'msg', 'resp', 'ps')
            -- the caller has its answer: the request is not needed any more
            redis.call('DEL', KEYS[1], ARGV[1] .. 'm:' .. ARGV[2])
            return {'DONE', d[1] or '', d[2] or '', d[3] or '', d[4] or ''}
            """);

    /**
     * Shared by every script. {@code finish_request} ends a request and wakes its caller through the inbox of the
     * caller's node. {@code wake_takers} tells every live node that registered asynchronous takers for a queue
     * ({@code w:<subscription>:<thumbprint>}, see {@link #TAKE_NEXT}) that the queue got a request, by pushing the
     * queue's key onto that node's wake-up list ({@code k:<node>}); a registered node whose heartbeat is gone is
     * dropped from the set instead.
     */
    private static final String PRELUDE = """
            local function now_ms()
                local t = redis.call('TIME')
                return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            local function finish_request(r, id, outcome, msg)
                redis.call('HSET', r, 'state', 'DONE', 'outcome', outcome, 'msg', msg)
                local node = redis.call('HGET', r, 'node')
                if node then
                    local inbox = ARGV[1] .. 'i:' .. node
                    redis.call('RPUSH', inbox, id)
                    redis.call('PEXPIRE', inbox, ARGV[3])
                end
            end
            local function finish(outcome, msg)
                finish_request(KEYS[1], ARGV[2], outcome, msg)
            end
            local function wake_takers(queue)
                local waiting = ARGV[1] .. 'w:' .. string.sub(queue, #ARGV[1] + 3)
                for _, n in ipairs(redis.call('SMEMBERS', waiting)) do
                    if redis.call('EXISTS', ARGV[1] .. 'n:' .. n) == 1 then
                        local k = ARGV[1] .. 'k:' .. n
                        redis.call('RPUSH', k, queue)
                        redis.call('PEXPIRE', k, ARGV[3])
                    else
                        redis.call('SREM', waiting, n)
                    end
                end
            end
            """;

    final byte[] source;
    final byte[] sha1;

    Script(String body) {
        this.source = (PRELUDE + body).getBytes(StandardCharsets.UTF_8);
        try {
            this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source))
                    .getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }
}
