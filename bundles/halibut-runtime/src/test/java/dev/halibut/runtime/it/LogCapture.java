package dev.halibut.runtime.it;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Captures log lines for a test. slf4j-simple (the test binding) writes each line to whatever
 * {@code System.err} is at the time, so this tees {@code System.err} into a list of lines while it is open;
 * everything still reaches the real stderr. Surefire runs one test class at a time per fork, so a capture
 * sees only the lines of its own test (and of threads that test started). Close it to restore stderr.
 */
public final class LogCapture implements AutoCloseable {

    private final PrintStream original;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture() {
        this.original = System.err;
        System.setErr(new PrintStream(new Tee(original), true, StandardCharsets.UTF_8));
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines that contain every one of {@code fragments}. */
    public List<String> linesContaining(String... fragments) {
        return lines.stream().filter(l -> Arrays.stream(fragments).allMatch(l::contains)).toList();
    }

    /**
     * Waits for a line that contains every one of {@code fragments} and returns it.
     *
     * @throws AssertionError if none is logged within {@code timeout}; the message shows what was logged
     */
    public String await(Duration timeout, String... fragments) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> found = linesContaining(fragments);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("No log line containing " + Arrays.toString(fragments) + " within "
                        + timeout + "; logged:\n" + String.join("\n", lines));
            }
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
    }

    @Override
    public void close() {
        System.setErr(original);
    }

    /** Forwards every byte and collects complete lines. Called under the PrintStream's lock. */
    private final class Tee extends OutputStream {
        private final OutputStream out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Tee(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            original.write(b, off, len);
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    lines.add(line.toString(StandardCharsets.UTF_8).stripTrailing());
                    line.reset();
                } else {
                    line.write(b[i]);
                }
            }
        }

        @Override
        public void flush() {
            original.flush();
        }
    }
}
