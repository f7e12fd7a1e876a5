package dev.halibut.queue.redis.internal;

import dev.halibut.queue.redis.RedisQueueSettings;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.util.KeyValue;

/**
 * One node's connections to Redis: a bounded pool, the queue's scripts, and the translation of every
 * client failure into a {@link RedisUnavailableException} that names the server.
 */
public final class RedisStore implements AutoCloseable {

    /** Longest single blocking pop: bounds how long close() waits for a blocked thread. */
    public static final Duration MAX_BLOCK = Duration.ofSeconds(1);

    /** A command on a borrowed connection. */
    @FunctionalInterface
    public interface Command<T> {
        T run(Jedis jedis);
    }

    private final JedisPool pool;
    private final String description;
    private final String host;
    private final String connectionHint;

    public RedisStore(URI uri, RedisQueueSettings settings) {
        String scheme = uri.getScheme();
        if (!"redis".equalsIgnoreCase(scheme) && !"rediss".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException(uri.getScheme() + " is not a Redis URI scheme: use redis://[:password@]host:port[/db]"
                    + " or rediss:// for TLS (" + redact(uri) + ")");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("The Redis URI " + redact(uri) + " names no host");
        }
        boolean tls = "rediss".equalsIgnoreCase(scheme);
        if (!tls && !settings.tls().isJvmDefault()) {
            throw new IllegalArgumentException("TLS settings (" + settings.tls() + ") were given for " + redact(uri)
                    + ", which is not TLS: use rediss:// or drop the TLS settings");
        }
        int port = uri.getPort() == -1 ? 6379 : uri.getPort();
        int db = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                db = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("The Redis URI " + redact(uri) + " must end in /<database number>, not " + path);
            }
        }
        String user = null;
        String password = settings.password();
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            String u = colon < 0 ? "" : decode(info.substring(0, colon));
            String p = decode(colon < 0 ? info : info.substring(colon + 1));
            user = u.isEmpty() ? null : u;
            if (password == null && !p.isEmpty()) {
                password = p;
            }
        }
        int timeout = (int) settings.commandTimeout().toMillis();
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeout)
                .socketTimeoutMillis(timeout)
                // Blocking pops never wait longer than MAX_BLOCK: a Redis that stops answering is noticed.
                .blockingSocketTimeoutMillis(timeout + (int) MAX_BLOCK.toMillis())
                .database(db)
                .ssl(tls)
                .protocol(RedisProtocol.RESP2) // the scripts' replies are read as RESP2 types
                .clientName("halibut");
        if (tls) {
            RedisTlsContext context = RedisTlsContext.load(settings.tls());
            config.sslSocketFactory(context.socketFactory()).sslParameters(context.parameters());
        }
        if (user != null) {
            config.user(user);
        }
        if (password != null) {
            config.password(password);
        }
        GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(settings.maxConnections());
        poolConfig.setMaxIdle(settings.maxConnections());
        poolConfig.setMinIdle(0);
        poolConfig.setMaxWait(settings.commandTimeout());
        poolConfig.setTestOnBorrow(false);
        poolConfig.setJmxEnabled(false);
        this.description = "Redis at " + uri.getHost() + ":" + port + (db != 0 ? "/" + db : "")
                + (tls ? " (TLS)" : "");
        this.host = uri.getHost();
        // A Redis with tls-auth-clients yes that gets no (or an unknown) client certificate ends the connection
        // after the TLS 1.3 handshake, so the client sees a broken pipe, not a TLS error: say so.
        this.connectionHint = tls
                ? " (check that Redis is running and reachable, and if it requires client certificates, that this node"
                  + " presents one its CA issued: RedisTlsSettings.withClientCertificate, PID key tls.client.keystore)"
                : " (check that Redis is running and reachable)";
        this.pool = new JedisPool(poolConfig, new HostAndPort(uri.getHost(), port), config.build());
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** The URI without its password, for messages. */
    public static String redact(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        return uri.getScheme() + "://***@" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /** "Redis at host:port", for messages. */
    public String description() {
        return description;
    }

    /** Runs {@code command} on a pooled connection; {@code what} says what for, in the error message. */
    public <T> T run(String what, Command<T> command) throws RedisUnavailableException {
        try (Jedis jedis = pool.getResource()) {
            return command.run(jedis);
        } catch (JedisConnectionException e) {
            // After a Redis restart every idle pooled connection is dead: drop them all at once, so the next
            // commands open fresh ones instead of each failing on a stale one.
            pool.clear();
            SSLException tlsFailure = tlsFailure(e);
            if (tlsFailure != null) {
                throw new RedisUnavailableException("The TLS handshake with " + description + " failed while " + what + ": "
                        + tlsFailure.getMessage() + " (check that the Redis server's certificate is issued for " + host
                        + " by a CA in the TLS trust setting, and the client certificate if Redis requires one)", e);
            }
            throw new RedisUnavailableException(description + " failed while " + what + ": " + e.getMessage()
                    + connectionHint, e);
        } catch (JedisException | IllegalStateException e) {
            throw new RedisUnavailableException(description + " failed while " + what + ": " + e.getMessage()
                    + " (check that Redis is running and reachable)", e);
        }
    }

    /** The TLS failure behind a connection failure, if it is one (untrusted certificate, wrong host name, ...). */
    private static SSLException tlsFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    /**
     * Waits up to {@link #MAX_BLOCK} for an entry of the list {@code key} (a blocking pop), then takes up to
     * {@code batch} more at once: the loop of a thread that serves a wake-up list. Empty if none came.
     */
    public List<byte[]> popAll(String what, byte[] key, int batch) throws RedisUnavailableException {
        double block = MAX_BLOCK.toMillis() / 1000.0;
        return run(what, jedis -> {
            KeyValue<byte[], byte[]> first = jedis.blpop(block, key);
            if (first == null) {
                return List.of();
            }
            List<byte[]> all = new ArrayList<>();
            all.add(first.getValue());
            List<byte[]> more = jedis.lpop(key, batch);
            if (more != null) {
                all.addAll(more);
            }
            return all;
        });
    }

    /**
     * Pushes an empty entry onto the list {@code key}, so that a thread blocked in {@link #popAll} on it returns at
     * once rather than after {@link #MAX_BLOCK} (for a close); if nobody pops it, it expires. A Redis that cannot be
     * reached is not an error here: the pop then ends by itself within {@link #MAX_BLOCK}.
     */
    public void wakePop(String what, byte[] key) {
        try {
            run(what, jedis -> {
                jedis.rpush(key, new byte[0]);
                return jedis.pexpire(key, 10_000);
            });
        } catch (RedisUnavailableException e) {
            // the pop ends by itself within MAX_BLOCK
        }
    }

    /** Runs a script (by its SHA-1; loaded again if Redis forgot it, after a restart). */
    public Object script(String what, Script script, List<byte[]> keys, List<byte[]> args) throws RedisUnavailableException {
        return run(what, jedis -> {
            try {
                return jedis.evalsha(script.sha1, keys, args);
            } catch (JedisNoScriptException e) {
                return jedis.eval(script.source, keys, args);
            }
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
