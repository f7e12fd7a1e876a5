package dev.halibut.queue.redis.internal;

/** Redis could not be reached, refused a command, or is (re)loading; the message names the server. */
public final class RedisUnavailableException extends Exception {

    private static final long serialVersionUID = 1L;

    public RedisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
