package dev.halibut.benchmarks;

import dev.halibut.ServiceEndPoint;
import dev.halibut.Thumbprints;
import dev.halibut.queue.redis.RedisPendingRequestQueue;
import dev.halibut.runtime.HalibutRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * Two listening nodes sharing a Redis queue, and a service host polling node B: the caller on node A reaches
 * it only through Redis (request queued on A, collected on B, response back to A).
 */
final class RedisNodes implements AdderNodes {

    final RedisProcess redis;
    final HalibutRuntime nodeA;
    final HalibutRuntime nodeB;
    final HalibutRuntime host;
    final ServiceEndPoint endpoint;

    RedisNodes(int pollingConnections) throws IOException {
        redis = new RedisProcess();
        String hostThumbprint = Thumbprints.of(Identities.HOST.certificate());
        nodeA = HalibutRuntime.builder().certificate(Identities.CALLER.certificate(), Identities.CALLER.privateKey())
                .pendingRequestQueue(RedisPendingRequestQueue.connect(redis.uri())).trust(hostThumbprint).build();
        nodeB = HalibutRuntime.builder().certificate(Identities.CALLER.certificate(), Identities.CALLER.privateKey())
                .pendingRequestQueue(RedisPendingRequestQueue.connect(redis.uri())).trust(hostThumbprint).build();
        int port = nodeB.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        host = HalibutRuntime.builder().certificate(Identities.HOST.certificate(), Identities.HOST.privateKey())
                .service(Adder.class, new Adder.Impl()).trust(nodeB.thumbprint()).build();
        URI subscription = URI.create("poll://bench/");
        host.poll(subscription, new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), nodeB.thumbprint()),
                pollingConnections);
        endpoint = new ServiceEndPoint(subscription, host.thumbprint());
    }

    /** A client on node A; calls once so the host is known to be polling. */
    @Override
    public Adder warmAdder() {
        Adder adder = nodeA.createClient(Adder.class, endpoint);
        if (adder.add(1, 2) != 3) {
            throw new IllegalStateException("add(1,2) != 3");
        }
        return adder;
    }

    @Override
    public void close() {
        host.close();
        nodeA.close();
        nodeB.close();
        redis.close();
    }
}
