package dev.halibut.wire;

/**
 * zlib streams (RFC 1950) whose data sits in "stored" blocks (RFC 1951, section 3.2.4: BTYPE 00, no compression),
 * made and read in Java, without native zlib: the form {@link Compressor} sends small messages in. Any zlib
 * reader reads them; and {@link #unwrap} reads only well-formed ones, leaving everything else (compressed blocks,
 * and any irregularity) to {@link java.util.zip.Inflater}, so that what is accepted or refused, and the error
 * said, stay the inflater's.
 */
final class StoredZlib {

    /** CMF 0x78 (deflate, 32 KiB window) and FLG 0x01 (no dictionary, fastest; (CMF * 256 + FLG) % 31 == 0). */
    private static final int CMF = 0x78;
    private static final int FLG = 0x01;
    /** The most one stored block holds. */
    private static final int MAX_BLOCK = 0xFFFF;

    private StoredZlib() {
    }

    /** {@code data} as a zlib stream of stored blocks, after {@code headroom} free bytes. */
    static Compressor.Packed wrap(byte[] data, int headroom) {
        int blocks = Math.max(1, (data.length + MAX_BLOCK - 1) / MAX_BLOCK);
        byte[] out = new byte[headroom + 2 + blocks * 5 + data.length + 4];
        int pos = headroom;
        out[pos++] = (byte) CMF;
        out[pos++] = (byte) FLG;
        int from = 0;
        for (int b = 0; b < blocks; b++) {
            int length = Math.min(MAX_BLOCK, data.length - from);
            out[pos++] = (byte) (b == blocks - 1 ? 1 : 0); // BFINAL on the last, BTYPE 00
            out[pos++] = (byte) length;
            out[pos++] = (byte) (length >>> 8);
            out[pos++] = (byte) ~length;
            out[pos++] = (byte) (~length >>> 8);
            System.arraycopy(data, from, out, pos, length);
            pos += length;
            from += length;
        }
        int adler = adler32(data, 0, data.length);
        out[pos++] = (byte) (adler >>> 24);
        out[pos++] = (byte) (adler >>> 16);
        out[pos++] = (byte) (adler >>> 8);
        out[pos++] = (byte) adler;
        return new Compressor.Packed(out, headroom, pos);
    }

    /**
     * The data of {@code zlib} if it is a well-formed zlib stream of stored blocks holding at most {@code maxSize}
     * bytes, whose check value matches and which ends exactly at the array's end; otherwise {@code null}, and the
     * inflater decides (and words the error).
     */
    static byte[] unwrap(byte[] zlib, int maxSize) {
        if (zlib.length < 2 + 5 + 4 || (zlib[0] & 0xFF) != CMF || (zlib[1] & 0x20) != 0
                || ((zlib[0] & 0xFF) * 256 + (zlib[1] & 0xFF)) % 31 != 0) {
            return null;
        }
        // First pass: the blocks' lengths, so that the data is copied once into an array of its size.
        int pos = 2;
        long total = 0;
        while (true) {
            if (zlib.length - pos < 5) {
                return null;
            }
            int header = zlib[pos] & 0xFF;
            if (header != 0 && header != 1) {
                return null; // a compressed block, or padding bits set: the inflater's
            }
            int length = (zlib[pos + 1] & 0xFF) | (zlib[pos + 2] & 0xFF) << 8;
            int inverse = (zlib[pos + 3] & 0xFF) | (zlib[pos + 4] & 0xFF) << 8;
            if ((length ^ inverse) != 0xFFFF || zlib.length - pos - 5 < length) {
                return null;
            }
            pos += 5 + length;
            total += length;
            if (total > maxSize) {
                return null;
            }
            if (header == 1) {
                break;
            }
        }
        if (zlib.length - pos != 4) {
            return null;
        }
        byte[] data = new byte[(int) total];
        int at = 0;
        pos = 2;
        while (at < data.length || pos < zlib.length - 4) {
            int length = (zlib[pos + 1] & 0xFF) | (zlib[pos + 2] & 0xFF) << 8;
            System.arraycopy(zlib, pos + 5, data, at, length);
            at += length;
            pos += 5 + length;
        }
        int expected = (zlib[pos] & 0xFF) << 24 | (zlib[pos + 1] & 0xFF) << 16 | (zlib[pos + 2] & 0xFF) << 8
                | (zlib[pos + 3] & 0xFF);
        return adler32(data, 0, data.length) == expected ? data : null;
    }

    /** Adler-32 (RFC 1950, section 8.2) of {@code length} bytes from {@code offset}. */
    static int adler32(byte[] b, int offset, int length) {
        final int mod = 65521;
        // 5552 bytes is the most that can be summed before the sums must be reduced (zlib's NMAX).
        long a = 1;
        long s = 0; // long: over 5552 bytes it passes 2^31 before it is reduced
        int end = offset + length;
        for (int i = offset; i < end; ) {
            int chunkEnd = Math.min(end, i + 5552);
            for (; i < chunkEnd; i++) {
                a += b[i] & 0xFF;
                s += a;
            }
            a %= mod;
            s %= mod;
        }
        return (int) (s << 16 | a);
    }
}
