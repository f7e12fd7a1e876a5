package dev.halibut.runtime.it;

import dev.halibut.DataStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The service side of {@link Files}. */
public class FilesService implements Files {
    public final AtomicInteger invocations = new AtomicInteger();
    /** The last failure of {@link #sha256}'s read of its stream. */
    public final java.util.concurrent.atomic.AtomicReference<IOException> readFailure =
            new java.util.concurrent.atomic.AtomicReference<>();

    @Override
    public String sha256(DataStream data) {
        invocations.incrementAndGet();
        try (InputStream in = data.openStream()) {
            return TestBytes.sha256(in);
        } catch (IOException e) {
            readFailure.set(e);
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public DataStream produce(long size, long seed) {
        invocations.incrementAndGet();
        return DataStream.fromWriter(size, out -> TestBytes.write(out, size, seed));
    }

    @Override
    public List<String> digestAll(Bundle bundle, DataStream extra) {
        invocations.incrementAndGet();
        List<String> digests = new ArrayList<>();
        digests.add(sha256(bundle.main()));
        for (DataStream s : bundle.others()) {
            digests.add(sha256(s));
        }
        digests.add(sha256(extra));
        return digests;
    }

    @Override
    public Bundle echo(Bundle bundle) {
        invocations.incrementAndGet();
        try {
            List<DataStream> others = new ArrayList<>();
            for (DataStream s : bundle.others()) {
                others.add(DataStream.fromBytes(s.readAllBytes()));
            }
            return new Bundle(bundle.name() + "!", DataStream.fromBytes(bundle.main().readAllBytes()), others);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public DataStream produceFailing(long size, long failAt) {
        invocations.incrementAndGet();
        return DataStream.fromWriter(size, out -> {
            TestBytes.write(out, failAt, 1);
            throw new IOException("the disk went away after " + failAt + " bytes");
        });
    }
}
