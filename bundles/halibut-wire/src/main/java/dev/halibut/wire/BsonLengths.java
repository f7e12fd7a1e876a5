package dev.halibut.wire;

/**
 * Checks every length a BSON document declares (its own, embedded documents' and arrays', strings',
 * binaries', code-with-scope's) against the bytes that are really there, before a parser allocates for
 * any of them: bson4jackson sizes its buffers by the declared lengths, so a 30-byte document declaring a
 * 2 GB string would otherwise allocate gigabytes. Allocates nothing but one small array of offsets, which grows
 * with the nesting only as deep as a document really goes (a call's envelope: 2-3 levels).
 *
 * <p>It also refuses element types the parser would not treat as plain data: unknown ones, and regular
 * expressions, which bson4jackson compiles into a {@link java.util.regex.Pattern} (a peer's pattern, which
 * an {@code Object} parameter would then hand to the service).
 */
final class BsonLengths {

    private BsonLengths() {
    }

    /**
     * @param bson     a whole document, nothing before or after it
     * @param maxDepth the deepest nesting of embedded documents and arrays accepted
     * @throws ProtocolException a length does not fit, an element type is unknown, or it nests too deep
     */
    static void check(byte[] bson, int maxDepth) throws ProtocolException {
        if (bson.length < 5 || int32(bson, 0) != bson.length) {
            throw new ProtocolException("The BSON document's length field does not match the " + bson.length
                    + " bytes of the message");
        }
        // Where each open document ends (exclusive). Sized for what documents usually nest, not for maxDepth: 257 ints
        // for every message was a tenth of what a small call allocated.
        int[] ends = new int[Math.min(maxDepth, INITIAL_DEPTH) + 1];
        int depth = 0;
        ends[0] = bson.length;
        int pos = 4;
        while (true) {
            int end = ends[depth];
            if (pos >= end) {
                throw new ProtocolException("A BSON document runs past its declared length");
            }
            int type = bson[pos++] & 0xFF;
            if (type == 0) {
                if (pos != end) {
                    throw new ProtocolException("A BSON document ends before its declared length");
                }
                if (depth == 0) {
                    return;
                }
                depth--;
                continue;
            }
            pos = cstring(bson, pos, end); // the element's name
            switch (type) {
                case 0x06, 0x0A, 0x7F, 0xFF -> { } // undefined, null, max key, min key: no value
                case 0x08 -> pos = skip(pos, 1, end); // boolean
                case 0x10 -> pos = skip(pos, 4, end); // int32
                case 0x01, 0x09, 0x11, 0x12 -> pos = skip(pos, 8, end); // double, date, timestamp, int64
                case 0x07 -> pos = skip(pos, 12, end); // object id
                case 0x13 -> pos = skip(pos, 16, end); // decimal128
                case 0x02, 0x0D, 0x0E -> pos = string(bson, pos, end); // string, JavaScript, symbol
                case 0x0C -> pos = skip(string(bson, pos, end), 12, end); // DB pointer
                case 0x0B -> throw new ProtocolException("BSON regular expressions are not accepted: Halibut never"
                        + " sends one, and the parser would compile the peer's pattern");
                case 0x05 -> { // binary: length, subtype, bytes; the old subtype 2 repeats the length inside
                    int length = int32(bson, skip(pos, 4, end) - 4);
                    if (length < 0 || length > end - pos - 5) {
                        throw declared("binary", length, end - pos - 5);
                    }
                    if (bson[pos + 4] == 0x02 && (length < 4 || int32(bson, pos + 5) != length - 4)) {
                        throw new ProtocolException("A BSON binary of the old subtype has an inconsistent length");
                    }
                    pos += 5 + length;
                }
                case 0x03, 0x04 -> { // embedded document, array
                    ends = roomFor(depth + 1, ends, maxDepth);
                    depth = open(bson, pos, end, depth, ends, maxDepth);
                    pos += 4;
                }
                case 0x0F -> { // code with scope: total length, code string, scope document
                    int total = int32(bson, skip(pos, 4, end) - 4);
                    if (total < 14 || total > end - pos) {
                        throw declared("code-with-scope", total, end - pos);
                    }
                    int scopeEnd = pos + total;
                    pos = string(bson, pos + 4, scopeEnd);
                    ends = roomFor(depth + 1, ends, maxDepth);
                    depth = open(bson, pos, scopeEnd, depth, ends, maxDepth);
                    if (ends[depth] != scopeEnd) {
                        throw new ProtocolException("A BSON code-with-scope's scope does not end where the element does");
                    }
                    pos += 4;
                }
                default -> throw new ProtocolException(String.format("Unknown BSON element type 0x%02X", type));
            }
        }
    }

    /** Documents nest this deep before {@code ends} grows. */
    private static final int INITIAL_DEPTH = 8;

    /**
     * {@code ends}, or a copy twice as long (never longer than {@code maxDepth + 1}), so that it has a slot for
     * {@code depth} whenever {@code depth <= maxDepth}; past that {@link #open} refuses the nesting.
     */
    private static int[] roomFor(int depth, int[] ends, int maxDepth) {
        if (depth < ends.length || ends.length > maxDepth) {
            return ends;
        }
        return java.util.Arrays.copyOf(ends, Math.min(maxDepth + 1, ends.length * 2));
    }

    /** Opens the embedded document whose length field is at {@code pos}; returns the new depth. */
    private static int open(byte[] bson, int pos, int end, int depth, int[] ends, int maxDepth)
            throws ProtocolException {
        int length = int32(bson, skip(pos, 4, end) - 4);
        if (length < 5 || length > end - pos) {
            throw declared("document", length, end - pos);
        }
        if (depth + 1 > maxDepth) {
            throw new ProtocolException("Message nests deeper than " + maxDepth + " levels");
        }
        ends[depth + 1] = pos + length;
        return depth + 1;
    }

    /** Skips a string (length including its terminating zero, then the bytes); returns the position after it. */
    private static int string(byte[] bson, int pos, int end) throws ProtocolException {
        int length = int32(bson, skip(pos, 4, end) - 4);
        if (length < 1 || length > end - pos - 4) {
            throw declared("string", length, end - pos - 4);
        }
        if (bson[pos + 4 + length - 1] != 0) {
            throw new ProtocolException("A BSON string is not terminated by a zero byte");
        }
        return pos + 4 + length;
    }

    /** Skips a zero-terminated name; returns the position after the zero. */
    private static int cstring(byte[] bson, int pos, int end) throws ProtocolException {
        for (int i = pos; i < end; i++) {
            if (bson[i] == 0) {
                return i + 1;
            }
        }
        throw new ProtocolException("A BSON name runs past the end of its document");
    }

    private static int skip(int pos, int n, int end) throws ProtocolException {
        if (n > end - pos) {
            throw new ProtocolException("A BSON value runs past the end of its document");
        }
        return pos + n;
    }

    private static int int32(byte[] b, int pos) {
        return (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
    }

    private static ProtocolException declared(String what, int length, int available) {
        return new ProtocolException("A BSON " + what + " declares " + length + " bytes where at most "
                + Math.max(0, available) + " remain");
    }
}
