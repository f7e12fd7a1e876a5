package dev.halibut.queue.redis;

import dev.halibut.DataStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts how often each text ran, so a test can prove each request ran once. */
final class EchoService implements Echo {

    final String name;
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    final CountDownLatch slowEntered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    EchoService(String name) {
        this.name = name;
    }

    @Override
    public String echo(String text) {
        runs.computeIfAbsent(text, k -> new AtomicInteger()).incrementAndGet();
        return name + ":" + text;
    }

    @Override
    public String slow(String text) {
        slowEntered.countDown();
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return echo(text);
    }

    @Override
    public long count(DataStream data) {
        long n = 0;
        byte[] buffer = new byte[8192];
        try (InputStream in = data.openStream()) {
            for (int r; (r = in.read(buffer)) > 0; ) {
                n += r;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    @Override
    public DataStream repeat(byte value, int times) {
        return DataStream.fromWriter(times, out -> {
            byte[] chunk = new byte[8192];
            java.util.Arrays.fill(chunk, value);
            for (int left = times; left > 0; left -= chunk.length) {
                out.write(chunk, 0, Math.min(left, chunk.length));
            }
        });
    }
}
