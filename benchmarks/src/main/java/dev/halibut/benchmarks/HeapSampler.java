package dev.halibut.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Peak memory of a benchmark fork: heap in use sampled every 2 ms (garbage included: bounded by -Xmx),
 * the largest heap still in use right after a collection (an upper bound of the live set: a young collection
 * leaves the old generation's garbage in place) and after a full collection, where there was one,
 * and direct (off-heap) buffers, where Netty keeps gRPC's. Printed when stopped; the fork's -Xmx is the hard
 * bound (a transfer that held more would fail with OutOfMemoryError).
 */
final class HeapSampler implements AutoCloseable {

    private final String name;
    private final Thread thread;
    private final List<Runnable> unregister = new ArrayList<>();
    private volatile boolean stopped;
    private volatile long peakUsed;
    private volatile long peakAfterGc;
    private volatile long peakDirect;
    private volatile long peakNettyDirect = -1;
    private volatile long peakTransportDirect = -1;
    private volatile long collections;
    private volatile long majorCollections;
    private volatile long peakAfterMajorGc = -1;

    private final java.util.Set<String> heapPools = new java.util.HashSet<>();

    HeapSampler(String name) {
        this.name = name;
        for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                NotificationListener l = (n, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                        GarbageCollectionNotificationInfo info =
                                GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                        long after = 0;
                        // After-GC usage comes for every pool, metaspace and code cache too: count the heap's.
                        for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                            if (heapPools.contains(e.getKey())) {
                                after += e.getValue().getUsed();
                            }
                        }
                        collections++;
                        if (info.getGcAction().contains("major")) {
                            majorCollections++;
                            if (after > peakAfterMajorGc) {
                                peakAfterMajorGc = after;
                            }
                        }
                        if (after > peakAfterGc) {
                            peakAfterGc = after;
                        }
                    }
                };
                emitter.addNotificationListener(l, null, null);
                unregister.add(() -> {
                    try {
                        emitter.removeNotificationListener(l);
                    } catch (javax.management.ListenerNotFoundException e) {
                        // gone already
                    }
                });
            }
        }
        thread = new Thread(this::sample, "heap-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void sample() {
        var memory = ManagementFactory.getMemoryMXBean();
        List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
        while (!stopped) {
            long used = memory.getHeapMemoryUsage().getUsed();
            if (used > peakUsed) {
                peakUsed = used;
            }
            long direct = 0;
            for (BufferPoolMXBean p : pools) {
                if (p.getName().equals("direct")) {
                    direct += p.getMemoryUsed();
                }
            }
            if (direct > peakDirect) {
                peakDirect = direct;
            }
            long netty = nettyDirect();
            if (netty > peakNettyDirect) {
                peakNettyDirect = netty;
            }
            long transport = transportDirect();
            if (transport > peakTransportDirect) {
                peakTransportDirect = transport;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long nettyDirect() {
        try {
            return io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent.usedDirectMemory();
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Direct memory of the (unshaded) Netty that Halibut's transport runs on: its pooled buffers live there. */
    private static long transportDirect() {
        try {
            return io.netty.util.internal.PlatformDependent.usedDirectMemory();
        } catch (Throwable e) {
            return -1;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(1000);
        unregister.forEach(Runnable::run);
        System.out.printf("%n[heap] %s: -Xmx %d MiB, peak heap in use %.1f MiB, peak after any GC %.1f MiB"
                        + " (%d collections), peak after a full GC %.1f MiB (%d full), peak direct buffers %.1f MiB, peak gRPC Netty direct %.1f MiB,"
                        + " peak transport (Halibut) Netty direct %.1f MiB%n",
                name, Runtime.getRuntime().maxMemory() >> 20, mib(peakUsed), mib(peakAfterGc), collections, mib(peakAfterMajorGc), majorCollections,
                mib(peakDirect), mib(peakNettyDirect), mib(peakTransportDirect));
    }

    private static double mib(long bytes) {
        return bytes < 0 ? -1 : bytes / 1048576.0;
    }
}
