/**
 * The polling pending-request queue shared by several listener nodes through a Redis server:
 * {@link dev.halibut.queue.redis.RedisPendingRequestQueue}.
 */
@Export
@Version("1.1.0")
package dev.halibut.queue.redis;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
