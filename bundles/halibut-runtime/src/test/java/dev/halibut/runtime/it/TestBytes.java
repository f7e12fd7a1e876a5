package dev.halibut.runtime.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic pseudo-random content of any length, produced and digested in constant memory. */
public final class TestBytes {
    private TestBytes() {
    }

    /** Writes {@code size} bytes from {@code seed}. */
    public static void write(OutputStream out, long size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] block = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            random.nextBytes(block);
            int n = (int) Math.min(block.length, left);
            out.write(block, 0, n);
            left -= n;
        }
    }

    /** SHA-256 of what {@link #write} produces. */
    public static String sha256(long size, long seed) throws IOException {
        MessageDigest d = sha();
        write(new OutputStream() {
            @Override
            public void write(int b) {
                d.update((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                d.update(b, off, len);
            }
        }, size, seed);
        return HexFormat.of().formatHex(d.digest());
    }

    /** SHA-256 of a stream's content, read in constant memory. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest d = sha();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
