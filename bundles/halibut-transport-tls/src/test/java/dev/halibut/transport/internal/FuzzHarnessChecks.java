package dev.halibut.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;

/** The end-of-input checks the transport's fuzz harnesses share. */
final class FuzzHarnessChecks {

    private FuzzHarnessChecks() {
    }

    /**
     * Fails with everything the harness recorded that must not happen (each kept as a suppressed error, so the fuzzer's
     * report shows their stacks), if it recorded anything.
     */
    static void assertNothingWrong(String what, List<? extends Throwable> wrong) {
        if (!wrong.isEmpty()) {
            AssertionError e = new AssertionError(what + " " + wrong);
            wrong.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Every buffer the test fed in, and every buffer allocated from {@code alloc}, was released. */
    static void assertAllReleased(List<ByteBuf> inputs, UnpooledByteBufAllocator alloc) {
        assertThat(inputs).as("input buffers released").allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(alloc.metric().usedHeapMemory()).as("heap buffers not released").isZero();
        assertThat(alloc.metric().usedDirectMemory()).as("direct buffers not released").isZero();
    }
}
