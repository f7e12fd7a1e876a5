package dev.halibut.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import de.undercouch.bson4jackson.BsonFactory;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BsonLengthsTest {

    private final MessageCodec codec = new MessageCodec();

    /** Found by MessageCodecFuzzTest#decodeRequest: a request whose "id" string declares 1.78 GB (and 46 bytes follow it). */
    static final byte[] REQUEST_WITH_HUGE_STRING = HexFormat.of().parseHex("50000000026964000200006a617661782e0033"
            + "0002736500040000006e6f770004706172616d547970657300050000000004706172616d73000500000000007276696965"
            + "0006000000436c6f636b00026d6574686f6400040000006e6f770004706172616d5479706573000500000000047061726"
            + "16d7300050000000000");
    /** Found by MessageCodecFuzzTest#decodeResponse: a response whose "id" string declares 1.63 GB. */
    static final byte[] RESPONSE_WITH_HUGE_STRING = HexFormat.of().parseHex(
            "520000000269640002002d612d6e657765722d7065657200026d65737361676500020000006d000000");

    @Test
    void declaredLengthsPastTheMessageAreRefusedBeforeTheParserAllocatesForThem() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> codec.decodeRequest(REQUEST_WITH_HUGE_STRING)).isInstanceOf(ProtocolException.class);
        byte[] declaredPart = java.util.Arrays.copyOf(REQUEST_WITH_HUGE_STRING, 0x50); // what its length field covers
        assertThatThrownBy(() -> codec.decodeRequest(declaredPart)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("string declares 1778384898 bytes");
        assertThatThrownBy(() -> codec.decodeResponse(RESPONSE_WITH_HUGE_STRING)).isInstanceOf(ProtocolException.class);
        byte[] string = doc(element(0x02, "id", le(2_000_000_000), new byte[] {'x', 0}));
        assertThatThrownBy(() -> codec.decodeResponse(string)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("string declares 2000000000 bytes");
        byte[] binary = doc(element(0x05, "b", le(1_500_000_000), new byte[] {0}, new byte[8]));
        assertThatThrownBy(() -> codec.decodeResponse(binary)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("binary declares 1500000000 bytes");
        // Before the check, bson4jackson sized its buffers by these lengths: gigabytes for each message.
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
    }

    /** Found by MessageCodecFuzzTest#decodeRequest (Jazzer's regex-injection sanitizer): bson4jackson compiled it. */
    @Test
    void aRegularExpressionInARequestIsRefusedNotCompiled() throws Exception {
        byte[] finding = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(BsonLengthsTest.class.getResource(
                "fuzz/MessageCodecFuzzTestInputs/decodeRequest/finding-regular-expression").toURI()));
        assertThatThrownBy(() -> codec.decodeRequest(finding)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("regular expressions are not accepted");
    }

    @Test
    void documentsTheCodecWritesPass() throws Exception {
        record Item(String name, byte[] data, List<Map<String, Double>> nested) {
        }
        Item item = new Item("héllo", new byte[] {1, 2, 3}, List.of(Map.of("x", 1.5)));
        BsonLengths.check(codec.encodeRequest("1", "S", "m", new Type[] {Item.class, long.class, String.class},
                new Object[] {item, 5L, null}).bson(), 256);
        BsonLengths.check(codec.encodeResponse("1", Item.class, item).bson(), 256);
        BsonLengths.check(codec.encodeError("1", new RemoteError(ErrorKind.INVOCATION, "m", "t", "d")), 256);
    }

    @Test
    void everyElementTypeTheParserReadsPasses() throws Exception {
        byte[] scope = doc(element(0x10, "x", le(1)));
        byte[] document = doc(
                element(0x01, "double", new byte[8]),
                element(0x02, "string", string("text")),
                element(0x03, "document", doc(element(0x0A, "null"))),
                element(0x04, "array", doc(element(0x10, "0", le(7)))),
                element(0x05, "binary", le(2), new byte[] {0}, new byte[2]),
                element(0x05, "old binary", le(6), new byte[] {2}, le(2), new byte[2]),
                element(0x05, "uuid", le(16), new byte[] {3}, new byte[16]),
                element(0x07, "object id", new byte[12]),
                element(0x08, "boolean", new byte[] {1}),
                element(0x09, "date", new byte[8]),
                element(0x0A, "null"),
                element(0x0D, "javascript", string("f()")),
                element(0x0E, "symbol", string("s")),
                element(0x0F, "code with scope", le(4 + string("f()").length + scope.length), string("f()"), scope),
                element(0x10, "int32", le(1)),
                element(0x11, "timestamp", new byte[8]),
                element(0x12, "int64", new byte[8]),
                element(0x7F, "max key"),
                element(0xFF, "min key"));
        BsonLengths.check(document, 256);
        assertThat(new ObjectMapper(new BsonFactory()).readTree(document).size()).isEqualTo(19);
        BsonLengths.check(doc(element(0x13, "decimal128", new byte[16])), 256);
    }

    @Test
    void lengthsThatDoNotFitAreRefused() {
        byte[] valid = doc(element(0x02, "s", string("text")));
        assertRefused(java.util.Arrays.copyOf(valid, valid.length + 1), "length field does not match");
        assertRefused(java.util.Arrays.copyOf(valid, 4), "length field does not match");
        assertRefused(doc(element(0x02, "s", le(0), new byte[] {0})), "string declares 0");
        assertRefused(doc(element(0x02, "s", le(3), "ab".getBytes(StandardCharsets.US_ASCII), new byte[] {1})),
                "not terminated");
        assertRefused(doc(element(0x03, "d", le(100), new byte[] {0})), "document declares 100");
        assertRefused(doc(element(0x04, "a", le(4), new byte[] {0})), "document declares 4");
        assertRefused(doc(element(0x05, "b", le(-1), new byte[] {0})), "binary declares -1");
        assertRefused(doc(element(0x05, "b", le(6), new byte[] {2}, le(9), new byte[2])), "old subtype");
        assertRefused(doc(element(0x0F, "c", le(1000), string("f()"), doc())), "code-with-scope declares 1000");
        assertRefused(doc(element(0x10, "i", new byte[2])), "runs past the end");
        assertRefused(doc(element(0x42, "x")), "Unknown BSON element type 0x42");
        assertRefused(doc(element(0x0B, "regex", cstring("(a+)+$"), cstring("i"))), "regular expressions are not accepted");
        byte[] inner = doc(element(0x0A, "n"));
        byte[] innerBody = java.util.Arrays.copyOfRange(inner, 4, inner.length);
        assertRefused(doc(element(0x03, "d", le(inner.length + 1), innerBody, new byte[] {0})),
                "ends before its declared length");
        assertRefused(doc(element(0x03, "d", le(inner.length - 1), innerBody)), "runs past its declared length");
    }

    @Test
    void nestingIsBoundedWithoutRecursion() {
        byte[] d = doc();
        for (int i = 0; i < 300; i++) {
            d = doc(element(0x03, "d", d));
        }
        byte[] deep = d;
        assertRefused(deep, "nests deeper than 256");
    }

    @Test
    void nestingUpToTheLimitPassesAndOneMoreLevelIsRefused() throws Exception {
        // The offsets array starts small and grows with the nesting: every depth up to the limit must still fit.
        byte[] d = doc();
        for (int depth = 1; depth <= 256; depth++) {
            d = doc(element(depth % 2 == 0 ? 0x03 : 0x04, "d", d));
            BsonLengths.check(d, 256);
            BsonLengths.check(d, depth);
            byte[] tooDeep = d;
            int limit = depth - 1;
            assertThatThrownBy(() -> BsonLengths.check(tooDeep, limit)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("nests deeper than " + limit + " levels");
        }
    }

    private static void assertRefused(byte[] bson, String message) {
        assertThatThrownBy(() -> BsonLengths.check(bson, 256)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining(message);
    }

    // --- a few bytes of BSON by hand ---

    private static byte[] doc(byte[]... elements) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] e : elements) {
            body.writeBytes(e);
        }
        body.write(0);
        return concat(le(4 + body.size()), body.toByteArray());
    }

    private static byte[] element(int type, String name, byte[]... value) {
        return concat(new byte[] {(byte) type}, cstring(name), concat(value));
    }

    private static byte[] string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return concat(le(utf8.length + 1), utf8, new byte[] {0});
    }

    private static byte[] cstring(String s) {
        return concat(s.getBytes(StandardCharsets.UTF_8), new byte[] {0});
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
